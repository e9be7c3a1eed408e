// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Denoise",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "denoise", targets: ["denoise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .systemLibrary(name: "CFusedMath", path: "Sources/CFusedMath"),
        .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),
        .target(name: "DenoiseCore", dependencies: ["CBLAS", "CFusedMath", "CCPUFeatures"]),
        .target(name: "DenoiseTUI", dependencies: ["DenoiseCore", "CNcurses"]),
        .executableTarget(
            name: "denoise",
            dependencies: [
                "DenoiseCore", "DenoiseTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DenoiseCoreTests", dependencies: ["DenoiseCore"]),
        .testTarget(name: "DenoiseTUITests", dependencies: ["DenoiseTUI", "DenoiseCore"], exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
