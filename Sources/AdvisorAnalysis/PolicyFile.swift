import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import AdvisorXGBoost
import Foundation

/// `STAMP-policy.json`: what a verdict recommends, self-contained and versioned, so a team can
/// deploy it (`experiment-advisor assign`) without the models of the analysis: one arm for
/// everyone, a tree's splits, or a T-learner's per-arm models (XGBoost's own JSON, or ridge
/// coefficients), with the covariate encoding they read and the arm for units they cannot score.
public struct PolicyFile: Sendable, Hashable, Codable {
    public static let formatName = "experiment-advisor-policy"
    /// Version 2 adds guardrail terms to a T-learner; a file without them is written as 1, so
    /// a build that reads only 1 still deploys it.
    public static let currentVersion = 2
    public static let readableVersions = [1, 2]

    public var format = Self.formatName
    public var version = 1
    public var experiment: String
    /// The verdict this policy carries out.
    public var verdict: String
    /// The policy's name in the verdict ("xgboost-t-learner", "policy-tree", "uniform").
    public var policy: String
    /// "uniform", "tree" or "t-learner".
    public var kind: String
    public var arms: [String]
    /// The arm for units the policy cannot score (a category it never saw): the best uniform arm.
    public var fallbackArm: String
    /// The source columns and how they become features (numbers as they are, text one-hot).
    public var covariates: [CovariateEncoding]
    /// Cell texts read as a missing value: the built-in ones `analyze` reads as missing and the
    /// manifest's own.
    public var missingValues: [String] = DataManifest.builtInMissingValues
    /// The column that held the unit ids in the analyzed drop (the manifest's `columns.unit_id`);
    /// nil when it had none. `assign` then requires it, rather than writing row numbers a team
    /// joining by id would join to the wrong units.
    public var unitIdColumn: String?
    /// FNV-1a (64 bits, hex) of the data file the policy was learned from: which file, not a seal.
    public var dataHash: String?
    public var tree: TreeNode?
    public var models: [ArmModel]?
    /// For a T-learner under guardrails: each guardrail's per-arm models and the weight of its
    /// oriented prediction in the argmax (Guardrails.md).
    public var guardrailTerms: [GuardrailTerm]?
    /// The weights the policy was learned with, per guardrail column (a tree's rules already
    /// carry them; recorded so the file says what trade it makes). nil: the primary alone.
    public var guardrailWeights: [String: Double]?

    public struct GuardrailTerm: Sendable, Hashable, Codable {
        public var column: String
        /// +1 or −1 times the weight: the term added to the primary's prediction is
        /// `weight · prediction`, predictions of the oriented guardrail.
        public var weight: Double
        public var models: [ArmModel]
    }

    /// A split or a leaf; features by their feature-matrix name (`tenure`, `channel=web`).
    public struct TreeNode: Sendable, Hashable, Codable {
        public var arm: String?
        public var feature: String?
        public var threshold: Float?
        public var missingGoesLeft: Bool?
        /// [left, right] for a split.
        public var children: [TreeNode]?
    }

    /// One arm's outcome model.
    public struct ArmModel: Sendable, Hashable, Codable {
        /// "xgboost" or "ridge".
        public var kind: String
        public var xgboostModel: String?
        public var rounds: Int?
        public var intercept: Double?
        public var coefficients: [Double]?
        public var means: [Double]?
    }

    /// The feature matrix's column names the covariates expand to.
    public var featureNames: [String] { covariates.flatMap(\.featureNames) }

    /// The file for `policy`; `arms` and `covariates` as the analysis read them.
    public static func make(
        policy: any Policy,
        verdict: PostExperimentVerdict,
        arms: [String],
        covariates: [CovariateEncoding],
        dataHash: String?
    ) throws -> PolicyFile {
        var file = PolicyFile(
            experiment: verdict.experiment,
            verdict: verdict.verdict.rawValue,
            policy: policy.name,
            kind: "uniform",
            arms: arms,
            fallbackArm: verdict.bestUniformArm,
            covariates: covariates,
            dataHash: dataHash
        )
        let names = covariates.flatMap(\.featureNames)
        switch policy {
        case let uniform as UniformPolicy:
            file.kind = "uniform"
            file.fallbackArm = arms[uniform.arm]
            // One arm for everyone reads nothing: no column is required of the units.
            file.covariates = []
        case let tree as PolicyTree:
            file.kind = "tree"
            func node(_ n: PolicyTree.Node) -> TreeNode {
                switch n {
                case .leaf(let arm):
                    return TreeNode(arm: arms[arm])
                case .split(let j, let t, let missingLeft, let left, let right):
                    return TreeNode(
                        feature: names[j],
                        threshold: t,
                        missingGoesLeft: missingLeft,
                        children: [node(left), node(right)]
                    )
                }
            }
            file.tree = node(tree.root)
        case let learner as TLearnerPolicy:
            file.kind = "t-learner"
            file.models = try learner.models.map(armModel)
            if !learner.terms.isEmpty {
                file.version = 2
                file.guardrailTerms = try learner.terms.map {
                    GuardrailTerm(column: $0.column, weight: $0.weight, models: try $0.models.map(armModel))
                }
            }
        default:
            throw ModelError.inconsistent("the policy \(policy.name) cannot be written to a policy file")
        }
        if let weights = guardrailWeights(verdict: verdict, policy: policy.name) { file.guardrailWeights = weights }
        return file
    }

    /// The guardrail weights the verdict lists for `policy`, by column.
    static func guardrailWeights(verdict: PostExperimentVerdict, policy: String) -> [String: Double]? {
        guard let result = verdict.policies.first(where: { $0.name == policy }), let weights = result.guardrailWeights
        else { return nil }
        return Dictionary(uniqueKeysWithValues: zip(result.outcomes.map(\.column), weights))
    }

    /// One arm's fitted model as the file holds it.
    static func armModel(_ model: any FittedOutcomeModel) throws -> ArmModel {
        switch model {
        case let trees as FittedBoostedTrees:
            return ArmModel(
                kind: "xgboost",
                xgboostModel: try trees.trees.json(),
                rounds: trees.trees.roundsUsed
            )
        case let ridge as RidgeRegression:
            return ArmModel(
                kind: "ridge",
                intercept: ridge.intercept,
                coefficients: ridge.coefficients,
                means: ridge.means
            )
        default:
            throw ModelError.inconsistent(
                "the outcome model \(type(of: model)) cannot be written to a policy file"
            )
        }
    }

    /// The policy the file describes, ready to assign arms to rows of `featureNames` columns.
    public func policy(file path: String) throws(InputError) -> any Policy {
        func bad(_ field: String, _ problem: String) -> InputError {
            InputError(
                file: path,
                field: field,
                problem: problem,
                fix: "use the policy file the analysis wrote, unchanged"
            )
        }
        func arm(_ name: String?) throws(InputError) -> Int {
            guard let name, let index = arms.firstIndex(of: name) else {
                throw bad("arm", "'\(name ?? "")' is not one of the file's arms")
            }
            return index
        }
        let names = featureNames
        switch kind {
        case "uniform":
            return UniformPolicy(name: policy, arm: try arm(fallbackArm))
        case "tree":
            guard let tree else { throw bad("tree", "a tree policy without its tree") }
            func node(_ n: TreeNode) throws(InputError) -> PolicyTree.Node {
                if let children = n.children {
                    guard children.count == 2, let feature = n.feature, let j = names.firstIndex(of: feature),
                        let threshold = n.threshold
                    else { throw bad("tree", "a split without two children, a known feature and a threshold") }
                    return .split(
                        feature: j,
                        threshold: threshold,
                        missingGoesLeft: n.missingGoesLeft ?? false,
                        left: try node(children[0]),
                        right: try node(children[1])
                    )
                }
                return .leaf(arm: try arm(n.arm))
            }
            return PolicyTree(name: policy, root: try node(tree))
        case "t-learner":
            guard let models, models.count == arms.count else {
                throw bad("models", "a T-learner policy needs one model per arm (\(arms.count))")
            }
            func fittedModels(_ models: [ArmModel], field: String) throws(InputError) -> [any FittedOutcomeModel] {
                var fitted: [any FittedOutcomeModel] = []
                for (index, model) in models.enumerated() {
                    let name = "\(field)[\(index)]"
                    try fitted.append(
                        PolicyAssignment.CheckedModel(model: fittedModel(model, field: name), field: name)
                    )
                }
                return fitted
            }
            func fittedModel(_ model: ArmModel, field: String) throws(InputError) -> any FittedOutcomeModel {
                switch model.kind {
                case "xgboost":
                    guard let json = model.xgboostModel, let rounds = model.rounds else {
                        throw bad(field, "an XGBoost model without its JSON or rounds")
                    }
                    // XGBoost trusts its files; this one may have been edited (issue 31).
                    do {
                        try BoostedTreesModelCheck.check(json: json, rounds: rounds, features: names.count)
                    } catch {
                        throw bad("\(field).xgboost_model", "\(error)")
                    }
                    do {
                        return FittedBoostedTrees(trees: try BoostedTrees(json: json, rounds: rounds))
                    } catch {
                        throw bad(field, "XGBoost could not read the model (\(error))")
                    }
                case "ridge":
                    guard let intercept = model.intercept, let coefficients = model.coefficients,
                        let means = model.means, coefficients.count == names.count, means.count == names.count
                    else { throw bad(field, "a ridge model needs one coefficient and mean per feature") }
                    // Finite one by one, ±1e308 coefficients still overflow a score to ±inf or NaN,
                    // which the argmax would silently read as the first arm: the score at the
                    // means must be finite, and `assign` checks every unit's.
                    let atMeans = zip(coefficients, means).reduce(intercept) { $0 + $1.0 * $1.1 }
                    guard atMeans.isFinite, coefficients.allSatisfy({ abs($0) <= PolicyAssignment.largestScore }) else {
                        throw bad(
                            "\(field).coefficients",
                            "give a score that is not finite, or coefficients beyond ±\(NumberText.shortest(PolicyAssignment.largestScore))"
                        )
                    }
                    return RidgeRegression(intercept: intercept, coefficients: coefficients, means: means)
                default:
                    throw bad("\(field).kind", "'\(model.kind)' is not xgboost or ridge")
                }
            }
            var terms: [TLearnerPolicy.Term] = []
            for (g, term) in (guardrailTerms ?? []).enumerated() {
                guard term.models.count == arms.count, abs(term.weight) <= PolicyAssignment.largestScore else {
                    throw bad("guardrail_terms[\(g)]", "a guardrail term needs a finite weight and one model per arm")
                }
                terms.append(
                    .init(
                        column: term.column,
                        weight: term.weight,
                        models: try fittedModels(term.models, field: "guardrail_terms[\(g)].models")
                    )
                )
            }
            return TLearnerPolicy(name: policy, models: try fittedModels(models, field: "models"), terms: terms)
        default:
            throw bad("kind", "'\(kind)' is not uniform, tree or t-learner")
        }
    }

    /// What a policy file may hold: a tree of depth 3 nests nine levels, so 64 leaves room for
    /// a deeper distilled tree; no control characters in its names.
    static let scanLimits = JSONScan.Limits(
        maxDepth: 64,
        integerKeys: ["version", "rounds"],
        refuseControlCharacters: true
    )

    /// Reads a policy file; errors name the file and what is wrong with it.
    public static func load(path: String) throws(InputError) -> PolicyFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(
                file: path,
                field: nil,
                problem: "cannot be read",
                fix: "give the path of a STAMP-policy.json the analysis wrote"
            )
        }
        // Duplicate keys and nesting first: a tree nested 10^5 deep overflowed the decoder's stack.
        do {
            try JSONScan.check(data, limits: scanLimits)
        } catch {
            throw InputError(
                file: path,
                field: error.field,
                problem: error.problem,
                fix: "use the policy file the analysis wrote, unchanged"
            )
        }
        struct Header: Decodable {
            var format: String?
            var version: Int?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw InputError(
                file: path,
                field: nil,
                problem: "is not JSON (cut short, or not a policy file)",
                fix: "give the path of a STAMP-policy.json the analysis wrote, whole"
            )
        }
        guard header.format == formatName else {
            throw InputError(
                file: path,
                field: "format",
                problem: "is '\(header.format ?? "missing")', not '\(formatName)'",
                fix: "give the path of a STAMP-policy.json the analysis wrote"
            )
        }
        guard let version = header.version, readableVersions.contains(version) else {
            throw InputError(
                file: path,
                field: "version",
                problem:
                    "version \(header.version.map(String.init) ?? "missing") is not one this build reads (\(readableVersions.map(String.init).joined(separator: ", ")))",
                fix: "assign with the experiment-advisor version that wrote the file, or analyze the data again"
            )
        }
        do {
            return try decoder.decode(PolicyFile.self, from: data)
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "is not a complete policy file (\(error))",
                fix: "use the policy file the analysis wrote, unchanged"
            )
        }
    }

    /// The file as JSON (snake_case keys, sorted).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// FNV-1a, 64 bits, over a file's bytes, in hex: names the data a policy was learned from.
    /// A second read of the file (from the page cache, just after ingest), over raw bytes:
    /// iterating `Data` byte by byte ran at 130 MB/s, three times the ingest's own time.
    public static func dataHash(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { bytes in
                for byte in bytes {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x100_0000_01b3
                }
            }
        }
        return String(hash, radix: 16)
    }
}
