import AdvisorAnalysis
import AdvisorFormats
import AdvisorModel
import AdvisorReports
import AdvisorXGBoost
import Foundation

/// Rendering time of each report kind, against the JSON rendition of the same report (the
/// baseline: a JSONEncoder pass over the same value), measured in the same run: a 23-arm verdict
/// (XGBoost and ridge T-learners, as the daemon fits them), the bundled proposals' predictions,
/// and the index of 500 experiments. Prints one JSON line per report. Run through
/// benchmarks/render.sh.
///
///     advisor-render-benchmark REPOSITORY REPETITIONS
let arguments = CommandLine.arguments.dropFirst()
let repository = arguments.first ?? "."
let repetitions = Int(arguments.dropFirst().first ?? "") ?? 200

/// Median milliseconds of `body` over the repetitions (after one warm-up).
func median(_ body: () throws -> String) rethrows -> (ms: Double, bytes: Int) {
    var bytes = try body().utf8.count
    var times: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<repetitions {
        let start = clock.now
        bytes = try body().utf8.count
        let elapsed = clock.now - start
        times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    times.sort()
    return (times[times.count / 2], bytes)
}

func report(
    _ name: String,
    html: (ms: Double, bytes: Int),
    text: (ms: Double, bytes: Int),
    json: (ms: Double, bytes: Int)
) throws {
    let line: [String: Any] = [
        "report": name, "html_ms": html.ms, "html_bytes": html.bytes, "text_ms": text.ms, "json_ms": json.ms,
        "html_over_json": html.ms / json.ms, "repetitions": repetitions,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
}

// A 23-arm verdict, as the daemon analyzes a drop.
let arms = (0..<23).map { 0.01 * Double($0) }
let truth = SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: arms, noise: 0.5)
let data = truth.generate(units: 23_000, seed: 5)
var settings = AnalysisSettings()
settings.bootstrap = 200
let (verdict, _, _) = try PostExperimentAnalyzer(settings: settings, prediction: PredictionSettings()).analyze(
    experiment: "render-23-arms",
    data: data,
    covariateNames: (0..<truth.columns).map { "x\($0)" },
    binaryOutcome: false,
    models: [("xgboost-t-learner", BoostedTreesOutcomeModel()), ("ridge-t-learner", RidgeOutcomeModel())]
)
try report(
    "verdict, 23 arms",
    html: median { VerdictReport.html(verdict) },
    text: median { VerdictReport.text(verdict) },
    json: try median { try VerdictReport.json(verdict) }
)

for file in ["example-minimal.yaml", "message-names.yaml", "price-test-arm-counts.yaml"] {
    let p = try Predictor().predict(try ProposalFile.load(path: repository + "/config/proposals/" + file))
    try report(
        "prediction, \(file)",
        html: median { PredictionReport.html(p) },
        text: median { PredictionReport.text(p) },
        json: try median { try PredictionReport.json(p) }
    )
}

// The index of 500 experiments, each with a forecast and a verdict (the page's cap).
var index = ExperimentIndex()
for k in 0..<500 {
    let id = "experiment-\(k)"
    let day = String(format: "2027%02d%02dT000000.000Z", 1 + k % 12, 1 + k % 28)
    index.add(
        .init(
            kind: .prediction,
            stamp: day,
            verdict: "actionable",
            gain: 0.1,
            range: (0.02, 0.2),
            files: ["\(id)/a.html"]
        ),
        experiment: id
    )
    index.add(
        .init(
            kind: .verdict,
            stamp: day + "1",
            verdict: "personalize",
            gain: 0.08,
            standardError: 0.02,
            files: ["\(id)/b.html"]
        ),
        experiment: id
    )
}
let indexHTML = median { index.html() }
let indexText = median { IndexWording.text(index) }
let line: [String: Any] = [
    "report": "index, 500 experiments", "html_ms": indexHTML.ms, "html_bytes": indexHTML.bytes,
    "text_ms": indexText.ms, "html_over_text": indexHTML.ms / indexText.ms, "repetitions": repetitions,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
