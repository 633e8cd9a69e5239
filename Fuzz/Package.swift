// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for every parser of untrusted bytes, in a package of their own so that the
// main build and the test suite do not change. Build and run them with scripts/fuzz.sh:
//
//   swift build -c release -sanitize=fuzzer -sanitize=address -Xswiftc -enable-testing --package-path Fuzz
//
// Each target holds one `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`. `FuzzSupport` has
// what they share (a scratch file for the targets that need a real file, the seed extractor).
let fuzzTargets = ["FuzzBMFF", "FuzzJUMBF", "FuzzCBOR", "FuzzCOSE", "FuzzX509", "FuzzTimeStamp",
                   "FuzzBMFFHash", "FuzzManifestStore", "FuzzManifest"]

let package = Package(
    name: "HallmarkFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Hallmark", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "HallmarkC2PA", package: "Hallmark")]),
    ] + fuzzTargets.map {
        .executableTarget(
            name: $0,
            dependencies: ["FuzzSupport", .product(name: "HallmarkC2PA", package: "Hallmark")],
            // No top-level code: libFuzzer's runtime provides `main`.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
