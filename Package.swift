// swift-tools-version:6.0
import PackageDescription

// Layers, from the edge inward:
//   C modules (CFFmpeg, COpenSSL, CSQLite,
//              CPostgres)                   system libraries, thin shims only
//   HallmarkMedia, HallmarkRegistry,
//   HallmarkCrypto                            Swift wrappers around them (I/O lives here)
//   HallmarkC2PA                              C2PA manifests: CBOR, JUMBF, BMFF boxes, COSE
//   HallmarkSignal                            pure watermark mathematics: no C, no I/O
//   HallmarkFingerprint                       pure content fingerprint (reverse search): no C, no I/O
//   Hallmark                                  the library product: Stamper, Verifier, reports
//   HallmarkCLI, hallmark                     the command line on top
let package = Package(
    name: "Hallmark",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Hallmark", targets: ["Hallmark"]),
        // The parsers on their own, for the fuzz targets in Fuzz/ (a separate package).
        .library(name: "HallmarkC2PA", targets: ["HallmarkC2PA", "HallmarkCrypto"]),
        .executable(name: "hallmark", targets: ["hallmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "HallmarkSignal"),
        .target(name: "HallmarkFingerprint"),
        .target(name: "HallmarkMedia", dependencies: ["CFFmpeg"]),
        .target(name: "HallmarkRegistry", dependencies: ["CSQLite", "CPostgres"]),
        .target(name: "HallmarkCrypto", dependencies: ["COpenSSL"]),
        .target(name: "HallmarkC2PA", dependencies: ["HallmarkCrypto"]),
        .target(
            name: "Hallmark",
            dependencies: ["HallmarkSignal", "HallmarkFingerprint", "HallmarkMedia", "HallmarkRegistry", "HallmarkCrypto", "HallmarkC2PA"]
        ),
        .target(
            name: "HallmarkCLI",
            dependencies: ["Hallmark", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "hallmark", dependencies: ["HallmarkCLI"]),

        .testTarget(name: "HallmarkSignalTests", dependencies: ["HallmarkSignal"]),
        .testTarget(name: "HallmarkFingerprintTests", dependencies: ["HallmarkFingerprint"]),
        .testTarget(name: "HallmarkRegistryTests", dependencies: ["HallmarkRegistry"]),
        .testTarget(name: "HallmarkC2PATests", dependencies: ["HallmarkC2PA", "HallmarkCrypto"], exclude: ["interop"]),
        .testTarget(name: "HallmarkTests", dependencies: ["Hallmark", "HallmarkCLI"]),
    ]
)
