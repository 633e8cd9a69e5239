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
//   HallmarkService                           `hallmark serve`: the HTTP API on Hummingbird 2
//                                             (verify, marks, C2PA soft-binding resolution)
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
        // The service only (HallmarkService): HTTP server, logs, metrics, graceful shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
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
            name: "HallmarkService",
            dependencies: [
                "Hallmark", "HallmarkC2PA", "HallmarkRegistry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HallmarkCLI",
            dependencies: ["Hallmark", "HallmarkService", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "hallmark", dependencies: ["HallmarkCLI"]),

        .testTarget(name: "HallmarkSignalTests", dependencies: ["HallmarkSignal"]),
        .testTarget(name: "HallmarkFingerprintTests", dependencies: ["HallmarkFingerprint"]),
        .testTarget(name: "HallmarkRegistryTests", dependencies: ["HallmarkRegistry"]),
        .testTarget(name: "HallmarkC2PATests", dependencies: ["HallmarkC2PA", "HallmarkCrypto"], exclude: ["interop"]),
        .testTarget(name: "HallmarkTests", dependencies: ["Hallmark", "HallmarkCLI", "HallmarkService"]),
    ]
)
