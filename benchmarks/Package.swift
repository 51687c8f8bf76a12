// swift-tools-version:6.0
import PackageDescription

/// The benchmarks, apart from the product so `swift build` and `swift test` at the top never
/// compile them. They call the shipped stages through the package's library products.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "advisor-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "experiment-advisor", path: "..")
    ],
    targets: [
        // The gain engine and the predictor (benchmarks/engine.sh).
        .executableTarget(
            name: "advisor-benchmark",
            dependencies: [
                .product(name: "AdvisorModel", package: "experiment-advisor"),
                .product(name: "AdvisorAnalysis", package: "experiment-advisor"),
            ],
            path: "Sources/advisor-benchmark",
            swiftSettings: strictSettings
        ),
        // The post-experiment analysis stage by stage, against analysis_pandas.py (benchmarks/analysis.sh).
        .executableTarget(
            name: "advisor-analysis-benchmark",
            dependencies: [
                .product(name: "AdvisorModel", package: "experiment-advisor"),
                .product(name: "AdvisorAnalysis", package: "experiment-advisor"),
            ],
            path: "Sources/advisor-analysis-benchmark",
            swiftSettings: strictSettings
        ),
        // Coverage of the predictive interval over seeds (benchmarks/interval.sh).
        .executableTarget(
            name: "advisor-interval-benchmark",
            dependencies: [
                .product(name: "AdvisorModel", package: "experiment-advisor"),
                .product(name: "AdvisorAnalysis", package: "experiment-advisor"),
            ],
            path: "Sources/advisor-interval-benchmark",
            swiftSettings: strictSettings
        ),
        // Rendering time per report kind against its JSON (benchmarks/render.sh).
        .executableTarget(
            name: "advisor-render-benchmark",
            dependencies: [
                .product(name: "AdvisorModel", package: "experiment-advisor"),
                .product(name: "AdvisorAnalysis", package: "experiment-advisor"),
            ],
            path: "Sources/advisor-render-benchmark",
            swiftSettings: strictSettings
        ),
        // The policy-tree search (benchmarks/tree.sh).
        .executableTarget(
            name: "advisor-tree-benchmark",
            dependencies: [.product(name: "AdvisorModel", package: "experiment-advisor")],
            path: "Sources/advisor-tree-benchmark",
            swiftSettings: strictSettings
        ),
    ]
)
