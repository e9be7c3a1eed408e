// swift-tools-version:6.0
import PackageDescription

// macOS: the importer needs two defines that a shim header cannot give, because the SDK headers
// they act on belong to Clang modules: ACCELERATE_NEW_LAPACK selects Accelerate's current LAPACK
// interface (see Sources/CBLAS/shim.h), _XOPEN_SOURCE_EXTENDED declares the system ncurses's
// wide-character API. Every target gets the same set, so all of them import one build of the
// system modules.
let appleImporterFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-DACCELERATE_NEW_LAPACK", "-Xcc", "-D_XOPEN_SOURCE_EXTENDED"], .when(platforms: [.macOS])),
]

let package = Package(
    name: "Denoise",
    platforms: [.macOS(.v14)],
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
        .target(
            name: "DenoiseCore",
            dependencies: ["CBLAS", "CFusedMath", "CCPUFeatures"],
            swiftSettings: appleImporterFlags,
            linkerSettings: [
                .linkedLibrary("openblas", .when(platforms: [.linux])),
                .linkedFramework("Accelerate", .when(platforms: [.macOS])),
            ]
        ),
        .target(
            name: "DenoiseTUI",
            dependencies: ["DenoiseCore", "CNcurses"],
            swiftSettings: appleImporterFlags,
            linkerSettings: [
                .linkedLibrary("ncursesw", .when(platforms: [.linux])),
                .linkedLibrary("ncurses", .when(platforms: [.macOS])),
            ]
        ),
        .executableTarget(
            name: "denoise",
            dependencies: [
                "DenoiseCore", "DenoiseTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: appleImporterFlags
        ),
        .testTarget(name: "DenoiseCoreTests", dependencies: ["DenoiseCore"], swiftSettings: appleImporterFlags),
        .testTarget(name: "DenoiseTUITests", dependencies: ["DenoiseTUI", "DenoiseCore"], exclude: ["Snapshots"],
                    swiftSettings: appleImporterFlags),
    ],
    swiftLanguageModes: [.v6]
)
