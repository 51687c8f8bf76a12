/// Every experiment the advisor has answered, as `reports/index.html` and `history` show it: its
/// latest prediction and verdict, and the track record — each verdict's realized gain next to
/// the interval the experiment's proposal predicted before the test.
///
/// A value built from report summaries in any order (the daemon adds one per report; `history`
/// adds the ledger's rows), so the page and the text come from the same numbers.
public struct ExperimentIndex: Sendable {
    /// What the index needs of one report: its figures, not the report.
    public struct Report: Sendable {
        public enum Kind: String, Sendable { case prediction, verdict }
        public var kind: Kind
        /// `20261129T083405.123Z`: sorts in time order.
        public var stamp: String
        /// prediction: actionable / marginal / not-actionable; verdict: personalize / ship-uniform / inconclusive.
        public var verdict: String
        /// The predicted gain's mean (prediction) or the realized gain (verdict), in outcome units.
        public var gain: Double
        /// A prediction's 90% range over the priors (p05, p95); nil for a verdict or an older row.
        public var range: (lower: Double, upper: Double)?
        /// A verdict's standard error of the realized gain.
        public var standardError: Double?
        /// The renditions, relative to `reports/` (`flu-2027/STAMP-verdict.html`).
        public var files: [String]

        public init(
            kind: Kind,
            stamp: String,
            verdict: String,
            gain: Double,
            range: (lower: Double, upper: Double)? = nil,
            standardError: Double? = nil,
            files: [String]
        ) {
            self.kind = kind
            self.stamp = stamp
            self.verdict = verdict
            self.gain = gain
            self.range = range
            self.standardError = standardError
            self.files = files
        }

        /// The rendition a reader opens: the HTML page, else the text, else the first file.
        public var page: String? {
            files.first { $0.hasSuffix(".html") } ?? files.first { $0.hasSuffix(".txt") } ?? files.first
        }
    }

    public struct Experiment: Sendable {
        public var id: String
        /// Every prediction, oldest first (a verdict pairs with the last one before it).
        public var predictions: [Report] = []
        public var latestVerdict: Report?
        /// Every verdict's stamp, so one read again (a restart, a refresh) is not counted twice.
        var verdictStamps: Set<String> = []
        public var verdicts: Int { verdictStamps.count }

        public var latestPrediction: Report? { predictions.last }
        /// When anything last happened to it.
        public var latestStamp: String { max(predictions.last?.stamp ?? "", latestVerdict?.stamp ?? "") }

        /// The prediction the latest verdict is judged against: the last one made before it (a
        /// prediction made after the data came back is not a forecast).
        public var forecast: Report? {
            guard let verdict = latestVerdict else { return nil }
            return predictions.last { $0.stamp < verdict.stamp }
        }
    }

    /// One experiment with both a forecast and a verdict.
    public struct TrackRecord: Sendable {
        public var experiment: String
        public var forecast: Report
        public var verdict: Report
        /// The realized gain fell inside the forecast's 90% range; nil when the forecast has none.
        public var held: Bool? {
            guard let range = forecast.range else { return nil }
            return verdict.gain >= range.lower && verdict.gain <= range.upper
        }
    }

    public private(set) var experiments: [String: Experiment] = [:]

    /// An input the daemon refused, with its reason: a team whose drop never became a report
    /// finds why on the same page as the reports.
    public struct Rejection: Sendable {
        public var stamp: String
        /// The name it was dropped under.
        public var name: String
        /// Its experiment, when the file named one.
        public var experiment: String?
        /// The error: file, field, problem and fix.
        public var reason: String
        /// The error file, relative to the spool (`rejected/STAMP-NAME.error.txt`).
        public var errorFile: String?

        public init(stamp: String, name: String, experiment: String?, reason: String, errorFile: String?) {
            self.stamp = stamp
            self.name = name
            self.experiment = experiment
            self.reason = reason
            self.errorFile = errorFile
        }
    }

    /// The most recent rejections, newest first (at most `rejectionsKept`).
    public private(set) var rejections: [Rejection] = []

    public static let rejectionsKept = 50

    public init() {}

    /// Records a rejection; one seen again (the same stamp and name) is not listed twice.
    public mutating func add(_ rejection: Rejection) {
        guard !rejections.contains(where: { $0.stamp == rejection.stamp && $0.name == rejection.name }) else { return }
        rejections.append(rejection)
        rejections.sort { ($0.stamp, $0.name) > ($1.stamp, $1.name) }
        if rejections.count > Self.rejectionsKept { rejections.removeLast(rejections.count - Self.rejectionsKept) }
    }

    public init(_ reports: [(experiment: String, report: Report)]) {
        for (experiment, report) in reports { add(report, experiment: experiment) }
    }

    /// Records one report; a report seen again (the same stamp and kind) is not counted twice.
    public mutating func add(_ report: Report, experiment id: String) {
        var experiment = experiments[id] ?? Experiment(id: id)
        switch report.kind {
        case .prediction:
            guard !experiment.predictions.contains(where: { $0.stamp == report.stamp }) else { return }
            experiment.predictions.append(report)
            experiment.predictions.sort { $0.stamp < $1.stamp }
            // Only the pairing needs the older ones: keep the list short for a busy experiment.
            if experiment.predictions.count > Self.predictionsKept {
                experiment.predictions.removeFirst(experiment.predictions.count - Self.predictionsKept)
            }
        case .verdict:
            guard experiment.verdictStamps.insert(report.stamp).inserted else { return }
            if report.stamp >= (experiment.latestVerdict?.stamp ?? "") { experiment.latestVerdict = report }
        }
        experiments[id] = experiment
    }

    static let predictionsKept = 50

    /// Forgets `experiment` (before its rows are read again).
    public mutating func remove(_ id: String) { experiments[id] = nil }

    /// Experiments, the most recently active first.
    public var byRecency: [Experiment] {
        experiments.values.sorted { ($0.latestStamp, $1.id) > ($1.latestStamp, $0.id) }
    }

    /// Every experiment with a forecast and a verdict, the most recent verdict first.
    public var trackRecord: [TrackRecord] {
        experiments.values.compactMap { e in
            guard let verdict = e.latestVerdict, let forecast = e.forecast else { return nil }
            return TrackRecord(experiment: e.id, forecast: forecast, verdict: verdict)
        }
        .sorted { ($0.verdict.stamp, $1.experiment) > ($1.verdict.stamp, $0.experiment) }
    }

    /// How many forecasts with a range held, of how many.
    public var held: (held: Int, of: Int) { Self.held(trackRecord) }

    static func held(_ record: [TrackRecord]) -> (held: Int, of: Int) {
        let judged = record.compactMap(\.held)
        return (judged.filter { $0 }.count, judged.count)
    }

    /// `20261129T083405.123Z` → `2026-11-29 08:34 UTC` (the stamp itself when it is not one).
    public static func readable(_ stamp: String) -> String {
        let c = Array(stamp)
        guard c.count >= 13, c[8] == "T", c[0..<8].allSatisfy(\.isNumber), c[9..<13].allSatisfy(\.isNumber)
        else { return stamp }
        let s = String(c)
        func part(_ from: Int, _ to: Int) -> Substring {
            s[s.index(s.startIndex, offsetBy: from)..<s.index(s.startIndex, offsetBy: to)]
        }
        return "\(part(0, 4))-\(part(4, 6))-\(part(6, 8)) \(part(9, 11)):\(part(11, 13)) UTC"
    }
}
