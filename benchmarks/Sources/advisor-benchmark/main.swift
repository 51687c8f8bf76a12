import AdvisorModel
import Foundation

let engine = GainEngine()
// eq7 vs fixed means
for (ma, mb, sg, r, eps) in [(0.0, 0.1, 0.3, 0.5, 0.0), (0.0, 1.0, 0.2, 0.9, 0.0), (0.3, 0.1, 1.0, -0.9, 0.0)] {
    let p = ModelParameters(sigma: sg, rho: r, s: 0, predictionError: eps, arms: 2)
    let g = try engine.gain(p, means: .list([ma, mb]))
    print("eq7", TwoArmGain.gain(muA: ma, muB: mb, sigma: sg, rho: r), g.gain)
}
for m in [2, 3, 20, 1000] {
    for (sg, r, s, eps) in [(0.3, 0.5, 0.1, 0.0), (0.267, 0.8, 0.007, 0.39), (1.0, 0.0, 2.0, 1.0)] {
        let p = ModelParameters(sigma: sg, rho: r, s: s, predictionError: eps, arms: m)
        let a = try engine.gain(p, means: .normal)
        let b = try engine.gain(p, means: .spikeAndSlab(spikeProbability: 0))
        let mix = ArmMeansMixture(weights: [0.5, 0.5], sds: [s, s])
        let cs = mix.choice(arms: m, noise: (p.tau * p.tau + eps * eps).squareRoot()); let k = p.tau * p.tau / (p.tau * p.tau + eps * eps); let c = (gain: (1 - k) * cs.chosenMean + k * cs.expectedMaximum - mix.choice(arms: m, noise: 0).expectedMaximum, 0)
        let t = try engine.gain(p, means: .studentT(degreesOfFreedom: 1e6))
        print("m=\(m)", a.gain, b.gain - a.gain, c.gain - a.gain, t.gain - a.gain)
    }
}
print("e2", ExpectedMaximum.standardNormal(2), 1 / Double.pi.squareRoot())
let p = ModelParameters(sigma: 0.267, rho: 0.8, s: 0.007, predictionError: 0.39, arms: 20)
let t0 = Date()
let sim = try LiteralSimulator(parameters: p, individuals: 5000, replications: 200, seed: 1).run()
print("sim", sim, Date().timeIntervalSince(t0))
print("paper", try engine.paperAlgorithm(p, individuals: 5000))
print("pop", try engine.gain(p))
for nu in [2.5, 3.0, 5.0, 30.0] {
    let q = ModelParameters(sigma: 1, rho: 0.3, s: 1, predictionError: 0.5, arms: 10)
    let t1 = Date()
    let g = try engine.gain(q, means: .studentT(degreesOfFreedom: nu))
    let dt = Date().timeIntervalSince(t1)
    let s2 = try LiteralSimulator(parameters: q, means: .studentT(degreesOfFreedom: nu), individuals: 200, replications: 4000, seed: 2).run()
    print("t", nu, g.gain, dt, "paper", try engine.paperAlgorithm(q, means: .studentT(degreesOfFreedom: nu), individuals: 200).gain, s2.meanGain, s2.standardError)
}
let q = ModelParameters(sigma: 10, rho: 0.5, s: 10, predictionError: 0, arms: 10)
let ss = try engine.paperAlgorithm(q, means: .spikeAndSlab(spikeProbability: 0.9), individuals: 100)
let s3 = try LiteralSimulator(parameters: q, means: .spikeAndSlab(spikeProbability: 0.9), individuals: 100, replications: 4000, seed: 3).run()
print("ss", ss.gain, s3.meanGain, s3.standardError)
let q2 = ModelParameters(sigma: 1, rho: -1.0/9, s: 0.5, predictionError: 0.5, arms: 10)
let s4 = try LiteralSimulator(parameters: q2, individuals: 100, replications: 4000, seed: 3).run()
print("neg", try engine.paperAlgorithm(q2, individuals: 100).gain, s4.meanGain, s4.standardError)
