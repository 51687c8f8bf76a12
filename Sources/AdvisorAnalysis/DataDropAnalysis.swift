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

    /// A drop's verdict and the policy file of what it recommends.
    public struct Result: Sendable {
        public var verdict: PostExperimentVerdict
        public var policy: PolicyFile
    }

    public static func isDataFile(_ name: String) -> Bool {
        dataExtensions.contains { name.lowercased().hasSuffix($0) }
    }

    /// Reads and analyzes `path`. `manifestPath`: explicit manifest, else `NAME.manifest.yaml`
    /// beside the data if it exists. `earlierPrediction`: the JSON report of the newest prediction
    /// for an experiment, if any (the daemon asks its ledger). `shouldStop` is polled between the
    /// models. `progress` hears a line ("analyzing flu-2027: fitting outcome models 7/23") at
    /// each stage and model.
    public static func run(
        path: String,
        manifestPath: String?,
        configuration: AdvisorConfiguration,
        earlierPrediction: @Sendable (_ experiment: String) -> String? = { _ in nil },
        shouldStop: @Sendable () -> Bool = { false },
        progress: (String) -> Void = { _ in }
    ) throws(InputError) -> Result {
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
        let verdict: PostExperimentVerdict
        let recommended: any Policy
        do {
            (verdict, recommended) = try analyzer.analyze(
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
            return Result(verdict: verdict, policy: policy)
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "the verdict's policy could not be written as a policy file (\(error))",
                fix: "report a bug with the file attached"
            )
        }
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
