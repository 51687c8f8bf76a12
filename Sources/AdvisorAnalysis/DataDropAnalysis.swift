import AdvisorIngest
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import AdvisorXGBoost
import Foundation

/// A data drop from file to verdict: manifest, CSV, the XGBoost and ridge T-learners, the
/// estimates, the evaluation, the comparison with an earlier prediction. Shared by
/// `experiment-advisor analyze` and the daemon.
public enum DataDropAnalysis {
    /// File name endings read as data drops.
    public static let dataExtensions = [".csv", ".csv.gz"]
    public static let manifestSuffix = ".manifest.yaml"

    /// A drop's verdict, the policy file of what it recommends (none when it personalizes from
    /// a summary: the models stayed where the summary was made), and the summary it was
    /// decided from.
    public struct Result: Sendable {
        public var verdict: PostExperimentVerdict
        public var policy: PolicyFile?
        public var summary: AnalysisSummary
    }

    /// A data drop or an analysis summary (`NAME.summary.json`): both end in a verdict.
    public static func isDataFile(_ name: String) -> Bool {
        dataExtensions.contains { name.lowercased().hasSuffix($0) } || SummaryFile.isSummaryFile(name)
    }

    /// The host name, for a summary's provenance.
    static var hostName: String { ProcessInfo.processInfo.hostName }

    /// This build's version, as a summary records it.
    public static let engineVersion = "1"

    /// Reads and analyzes `path`. `manifestPath`: explicit manifest, else `NAME.manifest.yaml`
    /// beside the data if it exists. `earlierPrediction`: the JSON report of the newest prediction
    /// for an experiment, if any (the daemon asks its ledger). `shouldStop` is polled between the
    /// models. `teamProposal`: the experiment's proposal seen before its data (`analyze
    /// --proposal`, or the one the daemon's ledger archived), whose threshold and baseline the verdict and the next proposal keep. `progress` hears a line ("analyzing flu-2027: fitting outcome models 7/23") at
    /// each stage and model.
    public static func run(
        path: String,
        manifestPath: String?,
        configuration: AdvisorConfiguration,
        earlierPrediction: @Sendable (_ experiment: String) -> String? = { _ in nil },
        teamProposal: @Sendable (_ experiment: String) -> Proposal? = { _ in nil },
        shouldStop: @Sendable () -> Bool = { false },
        progress: (String) -> Void = { _ in }
    ) throws(InputError) -> Result {
        if SummaryFile.isSummaryFile(path) {
            return try decide(
                summaryPath: path,
                configuration: configuration,
                earlierPrediction: earlierPrediction,
                teamProposal: teamProposal
            )
        }
        let manifestFile = manifestPath ?? ManifestFile.path(forData: path)
        let manifest =
            ManifestFile.exists(atPath: manifestFile)
            ? try ManifestFile.load(path: manifestFile) : DataManifest()
        let experiment = manifest.experiment ?? DataDrop.experimentID(forDataPath: path)
        progress(ProgressWording.line(experiment, .init(stage: "reading")))
        let drop = try CSVDataFile.read(path: path, manifest: manifest, limits: configuration.ingest)
        if shouldStop() { throw stopped(path) }
        var boosting = configuration.boosting
        boosting.objective = drop.binaryOutcome ? .logistic : .squaredError
        boosting.seed = configuration.analysis.seed
        let analyzer = PostExperimentAnalyzer(settings: configuration.analysis, prediction: configuration.prediction)
        let earlier = earlierPrediction(drop.experiment).flatMap(latestPriors(inReport:))
        var verdict: PostExperimentVerdict
        let recommended: any Policy
        var summary: AnalysisSummary
        do {
            (verdict, recommended, summary) = try analyzer.analyze(
                experiment: drop.experiment,
                data: drop.data,
                covariateNames: drop.covariateNames,
                binaryOutcome: drop.binaryOutcome,
                rowsDropped: drop.rowsDropped,
                duplicateUnitIDs: drop.duplicateUnitIDs,
                threshold: manifest.threshold,
                models: [
                    ("xgboost-t-learner", BoostedTreesOutcomeModel(parameters: boosting)),
                    ("ridge-t-learner", RidgeOutcomeModel()),
                ],
                earlierPriors: earlier,
                teamProposal: teamProposal(drop.experiment),
                primaryOutcome: (manifest.outcomeColumn, manifest.largerIsBetter),
                shouldStop: shouldStop,
                progress: { progress(ProgressWording.line(drop.experiment, $0)) }
            )
        } catch let error as XGBoostError {
            throw InputError(
                file: path,
                field: nil,
                problem: "the outcome models could not be fitted (\(error))",
                fix: "check the outcome and covariate columns; if they look right, report a bug with the file attached"
            )
        } catch ModelError.stopped {
            throw stopped(path)
        } catch let error as ModelError {
            throw InputError(
                file: path,
                field: nil,
                problem: "the estimated parameters are not usable (\(error))",
                fix: "check that the arms differ and the covariates carry information; more units help"
            )
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "the analysis failed (\(error))",
                fix: "report a bug with the file attached"
            )
        }
        summary.provenance.engineVersion = engineVersion
        summary.provenance.input = path
        summary.provenance.rowsRead = drop.rowsRead
        summary.provenance.ranOn = hostName
        verdict.provenance = summary.provenance
        // Apart from the analysis, so a failure here is not blamed on fitting the models.
        do {
            var policy = try PolicyFile.make(
                policy: recommended,
                verdict: verdict,
                arms: drop.data.armNames,
                covariates: drop.covariateEncoding,
                dataHash: PolicyFile.dataHash(path: path)
            )
            // `assign` reads new units as this drop was read: the manifest's tokens are missing too.
            for token in manifest.missingValues where !policy.missingValues.contains(token) {
                policy.missingValues.append(token)
            }
            // ... and joins its assignments by the same id column.
            if drop.data.unitKeys != nil { policy.unitIdColumn = manifest.unitIDColumn }
            return Result(verdict: verdict, policy: policy, summary: summary)
        } catch {
            throw policyFileFailure(path, error)
        }
    }

    /// The verdict from a summary written elsewhere (`analyze --summary-out`, the Spark job):
    /// the same decision stage as after a data drop's analysis. The policy file is written only
    /// for a uniform arm, which needs no model; a personalized policy's models stay where the
    /// summary was made.
    public static func decide(
        summaryPath path: String,
        configuration: AdvisorConfiguration,
        earlierPrediction: (_ experiment: String) -> String? = { _ in nil },
        teamProposal: (_ experiment: String) -> Proposal? = { _ in nil }
    ) throws(InputError) -> Result {
        let summary = try SummaryFile.load(path: path)
        // A 0/1 outcome's largest value is 1 whatever the rows were: the manifest's threshold,
        // carried into the summary, meets the check a data drop's does.
        if let threshold = summary.threshold, summary.data.binaryOutcome {
            try ManifestFile.checkThreshold(
                threshold,
                largestOutcome: 1,
                bestArmMean: summary.data.arms.map(\.mean).max() ?? 0,
                binary: true,
                file: path,
                line: nil
            )
        }
        let earlier = earlierPrediction(summary.experiment).flatMap(latestPriors(inReport:))
        let verdict: PostExperimentVerdict
        do {
            verdict = try PostExperimentAnalysis.verdict(
                from: summary,
                settings: configuration.analysis,
                prediction: configuration.prediction,
                earlierPriors: earlier,
                teamProposal: teamProposal(summary.experiment)
            )
        } catch {
            throw InputError(
                file: path,
                field: "estimates",
                problem: "the estimates give no prediction (\(error))",
                fix:
                    "write the summary again from the data; if it came from the job unedited, report a bug with it attached"
            )
        }
        try requireFinite(verdict, path: path)
        guard verdict.verdict != .personalize else { return Result(verdict: verdict, policy: nil, summary: summary) }
        do {
            let uniform = UniformPolicy(name: "uniform", arm: summary.bestUniformArm)
            let policy = try PolicyFile.make(
                policy: uniform,
                verdict: verdict,
                arms: summary.armNames,
                covariates: [],
                dataHash: nil
            )
            return Result(verdict: verdict, policy: policy, summary: summary)
        } catch {
            throw policyFileFailure(path, error)
        }
    }

    /// A verdict from a summary whose numbers, each in range, still combine into one that is not
    /// finite: refused here, naming the summary's part it came from, rather than failing later
    /// as a report that cannot be encoded ("Unable to encode Double.nan", the report's field).
    static func requireFinite(_ verdict: PostExperimentVerdict, path: String) throws(InputError) {
        do {
            _ = try JSONEncoder().encode(verdict)
        } catch let EncodingError.invalidValue(_, context) {
            let reportField = context.codingPath.first?.stringValue ?? ""
            let source: [String: String] = [
                "predicted": "estimates", "levers": "estimates", "estimates": "estimates", "realized": "policies",
                "policies": "policies", "outcomes": "policies", "data": "data", "threshold": "threshold",
            ]
            let field = source[reportField]
            throw InputError(
                file: path,
                field: field,
                problem:
                    "its numbers give a verdict that is not finite (the report's \(context.codingPath.map(\.stringValue).joined(separator: ".")))",
                fix: "write the summary again from the data; a summary must not be edited by hand"
            )
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "its verdict cannot be written (\(error))",
                fix: "report a bug with the file attached"
            )
        }
    }

    /// A verdict whose policy cannot be written as a file: a defect, not the input's fault.
    static func policyFileFailure(_ path: String, _ error: any Error) -> InputError {
        InputError(
            file: path,
            field: nil,
            problem: "the verdict's policy could not be written as a policy file (\(error))",
            fix: "report a bug with the file attached"
        )
    }

    /// Said when the caller gave up on the analysis (it is discarded then; the daemon reports
    /// the time limit or leaves the file for the next start).
    static func stopped(_ path: String) -> InputError {
        InputError(
            file: path,
            field: nil,
            problem: "the analysis was stopped before it finished",
            fix:
                "drop the file again; if it hit analysis.time_limit_seconds, raise that or lower analysis.boosting.max_rounds"
        )
    }

    /// The central priors of the prediction report at `path`. Only `parameters.central` is
    /// read, so reports from older versions still count.
    static func latestPriors(inReport path: String) -> ModelParameters? {
        FileManager.default.contents(atPath: path).flatMap(PredictionReport.centralParameters(fromJSON:))
    }
}
