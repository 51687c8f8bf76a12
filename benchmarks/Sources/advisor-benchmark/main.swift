import AdvisorModel
import Foundation
let t0 = Date()
let p = ModelParameters(sigma: 1, rho: 0.5, s: 1, predictionError: 0.5, arms: 50)
let r = try LiteralSimulator(parameters: p, individuals: 20, replications: 400, seed: 1).run()
print(r, Date().timeIntervalSince(t0))
