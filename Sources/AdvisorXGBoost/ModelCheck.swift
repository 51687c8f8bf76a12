import Foundation

/// XGBoost's JSON model as a policy file carries it, checked before XGBoost reads it. XGBoost
/// trusts its own files: an out-of-range child or feature index reads outside its arrays
/// (SIGSEGV), a cycle between nodes makes prediction loop forever, `num_trees: "2000000000"`
/// reserves gigabytes before a tree is read, and deep nesting exhausts its parser's stack. A
/// policy file may have been edited or forged, so every index, count and leaf is checked here
/// against what the file actually holds (so no count exceeds the file's size), in linear time.
public enum BoostedTreesModelCheck {
    /// What is wrong, at a path inside the model (`learner.gradient_booster.model.trees[3].left_children[5]`).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { path.isEmpty ? problem : "\(path) \(problem)" }
    }

    /// XGBoost 1.7's model nests about seven levels; this leaves room and bounds recursion.
    static let maxDepth = 24

    /// Checks the model for prediction with `rounds` rounds on `features` columns.
    public static func check(json: String, rounds: Int, features: Int) throws(Problem) {
        try checkNesting(json)
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw Problem(path: "", problem: "is not a JSON object")
        }
        func object(_ value: Any?, _ path: String) throws(Problem) -> [String: Any] {
            guard let object = value as? [String: Any] else { throw Problem(path: path, problem: "is missing") }
            return object
        }
        let learner = try object(root["learner"], "learner")
        let booster = try object(learner["gradient_booster"], "learner.gradient_booster")
        guard booster["name"] as? String == "gbtree" else {
            throw Problem(path: "learner.gradient_booster.name", problem: "is not gbtree, the only booster written")
        }
        let modelPath = "learner.gradient_booster.model"
        let model = try object(booster["model"], modelPath)
        let parameters = try object(learner["learner_model_param"], "learner.learner_model_param")
        let featureCount = try integer(parameters["num_feature"], "learner.learner_model_param.num_feature")
        // XGBoost predicts only on as many columns as the model was trained on.
        guard featureCount == features else {
            throw Problem(
                path: "learner.learner_model_param.num_feature",
                problem: "is \(featureCount), but the policy gives its models \(features) features"
            )
        }
        for key in ["num_class", "num_target"] {
            if let value = parameters[key] {
                let count = try integer(value, "learner.learner_model_param.\(key)")
                guard count <= 1 else {
                    throw Problem(
                        path: "learner.learner_model_param.\(key)",
                        problem: "is \(count); one output is written"
                    )
                }
            }
        }
        if let base = parameters["base_score"] {
            _ = try finite(base, "learner.learner_model_param.base_score")
        }
        guard let trees = model["trees"] as? [Any] else {
            throw Problem(path: "\(modelPath).trees", problem: "is missing")
        }
        let modelParameters = try object(model["gbtree_model_param"], "\(modelPath).gbtree_model_param")
        let declared = try integer(modelParameters["num_trees"], "\(modelPath).gbtree_model_param.num_trees")
        guard declared == trees.count else {
            throw Problem(
                path: "\(modelPath).gbtree_model_param.num_trees",
                problem: "is \(declared), but the model holds \(trees.count) trees"
            )
        }
        if let leafVector = modelParameters["size_leaf_vector"] {
            guard try integer(leafVector, "\(modelPath).gbtree_model_param.size_leaf_vector") == 0 else {
                throw Problem(path: "\(modelPath).gbtree_model_param.size_leaf_vector", problem: "is not 0")
            }
        }
        guard let info = model["tree_info"] as? [Any], info.count == trees.count else {
            throw Problem(path: "\(modelPath).tree_info", problem: "does not list one entry per tree")
        }
        for (k, group) in info.enumerated() where try integer(group, "\(modelPath).tree_info[\(k)]") != 0 {
            throw Problem(path: "\(modelPath).tree_info[\(k)]", problem: "is not 0, the only output group")
        }
        guard rounds >= 1, rounds <= trees.count else {
            throw Problem(path: "", problem: "has \(trees.count) trees, but the policy file uses \(rounds) rounds")
        }
        for (t, value) in trees.enumerated() {
            try checkTree(value, path: "\(modelPath).trees[\(t)]", features: featureCount)
        }
    }

    /// One tree: parallel arrays of one length, children in range, each node reached once from
    /// the root (so no cycle and no shared subtree), split features known, every value finite.
    static func checkTree(_ value: Any, path: String, features: Int) throws(Problem) {
        guard let tree = value as? [String: Any] else { throw Problem(path: path, problem: "is not an object") }
        guard let parameters = tree["tree_param"] as? [String: Any] else {
            throw Problem(path: "\(path).tree_param", problem: "is missing")
        }
        let nodes = try integer(parameters["num_nodes"], "\(path).tree_param.num_nodes")
        guard nodes >= 1 else { throw Problem(path: "\(path).tree_param.num_nodes", problem: "is \(nodes)") }
        let deleted = try integer(parameters["num_deleted"] ?? 0, "\(path).tree_param.num_deleted")
        guard (0..<nodes).contains(deleted) else {
            throw Problem(path: "\(path).tree_param.num_deleted", problem: "is \(deleted) of \(nodes) nodes")
        }
        if let leafVector = parameters["size_leaf_vector"] {
            guard try integer(leafVector, "\(path).tree_param.size_leaf_vector") == 0 else {
                throw Problem(path: "\(path).tree_param.size_leaf_vector", problem: "is not 0")
            }
        }
        func array(_ key: String, required: Bool = true) throws(Problem) -> [Any]? {
            guard let values = tree[key] as? [Any] else {
                if required { throw Problem(path: "\(path).\(key)", problem: "is missing") }
                return nil
            }
            guard values.count == nodes else {
                throw Problem(path: "\(path).\(key)", problem: "has \(values.count) entries for \(nodes) nodes")
            }
            return values
        }
        func integers(_ key: String) throws(Problem) -> [Int] {
            var out: [Int] = []
            for (k, v) in (try array(key) ?? []).enumerated() { out.append(try integer(v, "\(path).\(key)[\(k)]")) }
            return out
        }
        let left = try integers("left_children")
        let right = try integers("right_children")
        let parents = try integers("parents")
        let splits = try integers("split_indices")
        _ = try array("default_left")
        var conditions: [Double] = []
        for (k, v) in (try array("split_conditions") ?? []).enumerated() {
            conditions.append(try finite(v, "\(path).split_conditions[\(k)]"))
        }
        for key in ["base_weights", "loss_changes", "sum_hessian"] {
            for (k, v) in (try array(key, required: false) ?? []).enumerated() {
                _ = try finite(v, "\(path).\(key)[\(k)]")
            }
        }
        if let types = try array("split_type", required: false) {
            for (k, v) in types.enumerated() where try integer(v, "\(path).split_type[\(k)]") != 0 {
                throw Problem(path: "\(path).split_type[\(k)]", problem: "is a categorical split; none is written")
            }
        }
        if let categorical = tree["categories_nodes"] as? [Any], !categorical.isEmpty {
            throw Problem(path: "\(path).categories_nodes", problem: "lists categorical splits; none is written")
        }
        // From the root, iteratively: a node reached twice means a cycle or a shared child.
        var reached = [Bool](repeating: false, count: nodes)
        var stack = [0]
        reached[0] = true
        while let node = stack.popLast() {
            let (l, r) = (left[node], right[node])
            if l == -1 && r == -1 { continue }
            guard (1..<nodes).contains(l), (1..<nodes).contains(r), l != r else {
                throw Problem(
                    path: "\(path).left_children[\(node)]",
                    problem: "and right_children[\(node)] (\(l), \(r)) are not two nodes of the \(nodes)"
                )
            }
            guard (0..<features).contains(splits[node]) else {
                throw Problem(
                    path: "\(path).split_indices[\(node)]",
                    problem: "is \(splits[node]), not one of the \(features) features"
                )
            }
            for child in [l, r] {
                guard !reached[child] else {
                    throw Problem(
                        path: "\(path).left_children[\(node)]",
                        problem: "leads back to node \(child): not a tree"
                    )
                }
                guard parents[child] == node else {
                    throw Problem(path: "\(path).parents[\(child)]", problem: "is \(parents[child]), not \(node)")
                }
                reached[child] = true
                stack.append(child)
            }
        }
    }

    /// Objects and arrays nested at most `maxDepth` deep, counted outside strings before any
    /// parser recurses into them.
    static func checkNesting(_ json: String) throws(Problem) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in json.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= maxDepth else {
                    throw Problem(path: "", problem: "nests more than \(maxDepth) levels deep; a model has about seven")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }

    /// A whole number, as XGBoost writes counts (a string, "2") or indices (a number).
    static func integer(_ value: Any?, _ path: String) throws(Problem) -> Int {
        if let text = value as? String, let n = Int(text) { return n }
        if let number = value as? NSNumber, let n = Int(exactly: number.doubleValue) { return n }
        throw Problem(path: path, problem: "is not a whole number")
    }

    /// A finite number (XGBoost writes some as strings, "5E-1").
    static func finite(_ value: Any?, _ path: String) throws(Problem) -> Double {
        let x: Double? = (value as? String).flatMap(Double.init) ?? (value as? NSNumber)?.doubleValue
        guard let x, x.isFinite else { throw Problem(path: path, problem: "is not a finite number") }
        return x
    }
}
