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
        // Libraries, so the benchmarks (their own package under benchmarks/) call the shipped stages.
        .library(name: "AdvisorModel", targets: ["AdvisorModel"]),
        .library(
            name: "AdvisorAnalysis",
            targets: ["AdvisorAnalysis", "AdvisorFormats", "AdvisorReports", "AdvisorIngest", "AdvisorXGBoost"]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The numerical core: no I/O, no C libraries, no logging, no sentences. Everything here is a
        // pure function of its inputs; the analysis stages and policies are values in, values out.
        .target(
            name: "AdvisorModel",
            swiftSettings: strictSettings
        ),
        // Reading what people write: proposals, manifests, the YAML reader, and the input error
        // every reader throws (file, line, field, problem, fix).
        .target(
            name: "AdvisorFormats",
            dependencies: [
                "AdvisorModel",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // Rendering for people and scripts: text and JSON reports, and every sentence they hold.
        .target(
            name: "AdvisorReports",
            dependencies: ["AdvisorModel"],
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
        // Boosted-tree outcome models and their settings behind a small Swift API: no XGBoost
        // pointer leaves it.
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
        // Data drops: a streaming, columnar CSV reader (gzip or plain) into ExperimentData, and its limits.
        .target(
            name: "AdvisorIngest",
            dependencies: ["AdvisorModel", "AdvisorFormats", "CZlib"],
            swiftSettings: strictSettings
        ),
        // The use cases both the CLI and the daemon call (file → prediction, file → verdict), and
        // the configuration assembled from the settings each module owns.
        .target(
            name: "AdvisorAnalysis",
            dependencies: ["AdvisorModel", "AdvisorFormats", "AdvisorReports", "AdvisorIngest", "AdvisorXGBoost"],
            swiftSettings: strictSettings
        ),
        // The ledger: one row per input in a SQLite file (GRDB) outside the spool, which makes
        // processing exactly-once and answers `history`.
        .target(
            name: "AdvisorLedger",
            dependencies: [
                "AdvisorModel",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The Linux service around the use cases: spool, journal, systemd protocol, lifecycle.
        .target(
            name: "AdvisorDaemon",
            dependencies: [
                "AdvisorModel",
                "AdvisorFormats",
                "AdvisorReports",
                "AdvisorAnalysis",
                "AdvisorIngest",
                "AdvisorLedger",
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
                "AdvisorFormats",
                "AdvisorReports",
                "AdvisorAnalysis",
                "AdvisorDaemon",
                "AdvisorLedger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorModelTests",
            dependencies: ["AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorFormatsTests",
            dependencies: ["AdvisorFormats", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorReportsTests",
            dependencies: ["AdvisorReports", "AdvisorFormats", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorIngestTests",
            dependencies: ["AdvisorIngest", "AdvisorFormats", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorXGBoostTests",
            dependencies: ["AdvisorXGBoost", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdvisorAnalysisTests",
            dependencies: ["AdvisorAnalysis", "AdvisorXGBoost", "AdvisorReports", "AdvisorFormats", "AdvisorModel"],
            swiftSettings: strictSettings
        ),
        // Depends on the executable so `swift test` builds the binary the process tests start.
        .testTarget(
            name: "AdvisorDaemonTests",
            dependencies: [
                "AdvisorDaemon",
                "AdvisorAnalysis",
                "AdvisorFormats",
                "AdvisorReports",
                "AdvisorModel",
                "AdvisorLedger",
                "AdvisorIngest",
                "experiment-advisor",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
