// swift-tools-version:6.0
import PackageDescription

/// Settings every target shares: Swift 6 mode (strict concurrency) plus the upcoming features
/// the style notes ask for, so `any` and member imports stay explicit.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "experiment-advisor",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .executable(name: "experiment-advisor", targets: ["experiment-advisor"]),
        .library(name: "AdvisorModel", targets: ["AdvisorModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The numerical core: no I/O, no C libraries, no logging. Everything here is a pure function of its inputs.
        .target(
            name: "AdvisorModel",
            swiftSettings: strictSettings
        ),
        // Reading proposal files and rendering reports: the layer between files and the core.
        .target(
            name: "AdvisorReports",
            dependencies: [
                "AdvisorModel",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "experiment-advisor",
            dependencies: [
                "AdvisorModel",
                "AdvisorReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks live in their own executable so speed targets never become timed unit tests.
        .executableTarget(
            name: "advisor-benchmark",
            dependencies: ["AdvisorModel", "AdvisorReports"],
            path: "benchmarks/Sources/advisor-benchmark",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorModelTests",
            dependencies: ["AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorReportsTests",
            dependencies: ["AdvisorReports", "AdvisorModel"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
