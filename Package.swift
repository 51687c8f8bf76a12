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
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        // libsystemd (journal, sd_notify) from Debian's libsystemd-dev. Only AdvisorDaemon imports it.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // XGBoost's C API from Debian's libxgboost-dev. Only AdvisorXGBoost imports it.
        .systemLibrary(
            name: "CXGBoost",
            pkgConfig: "xgboost",
            providers: [.apt(["libxgboost-dev"])]
        ),
        // Boosted-tree outcome models behind a small Swift API: no XGBoost pointer leaves it.
        .target(
            name: "AdvisorXGBoost",
            dependencies: ["AdvisorModel", "CXGBoost"],
            swiftSettings: strictSettings
        ),
        // zlib's gz* API from Debian's zlib1g-dev, for gzip data drops. Only AdvisorIngest imports it.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Data drops: a streaming, columnar CSV reader (gzip or plain) into ExperimentData.
        .target(
            name: "AdvisorIngest",
            dependencies: ["AdvisorModel", "AdvisorReports", "CZlib"],
            swiftSettings: strictSettings
        ),
        // The Linux service around the core: spool, journal, systemd protocol, lifecycle.
        .target(
            name: "AdvisorDaemon",
            dependencies: [
                "AdvisorModel",
                "AdvisorReports",
                "AdvisorIngest",
                "AdvisorXGBoost",
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "experiment-advisor",
            dependencies: [
                "AdvisorModel",
                "AdvisorReports",
                "AdvisorDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
        // The post-experiment analysis stage by stage, against benchmarks/analysis_pandas.py.
        .executableTarget(
            name: "advisor-analysis-benchmark",
            dependencies: ["AdvisorModel", "AdvisorReports", "AdvisorIngest", "AdvisorXGBoost"],
            path: "benchmarks/Sources/advisor-analysis-benchmark",
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
        .testTarget(
            name: "AdvisorIngestTests",
            dependencies: ["AdvisorIngest", "AdvisorReports", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorXGBoostTests",
            dependencies: ["AdvisorXGBoost", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        // Depends on the executable so `swift test` builds the binary the process tests start.
        .testTarget(
            name: "AdvisorDaemonTests",
            dependencies: [
                "AdvisorDaemon",
                "AdvisorReports",
                "AdvisorModel",
                "experiment-advisor",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
