import Foundation
import Testing
@testable import DenoiseCore

/// The sqrt noise schedule of docs/DESIGN.md ("The method"), its posterior coefficients and its respacing.
@Suite struct ScheduleTests {
    let full = NoiseSchedule(sqrtSteps: 2000)

    @Test func alphaBarFallsStrictlyFromAlmostOneToAlmostZero() {
        #expect(full.count == 2000 && full.timesteps == Array(0..<2000))
        #expect(abs(full.alphaBars[0] - 0.985) < 0.001, "first alpha-bar \(full.alphaBars[0])")
        #expect(full.alphaBars[1999] >= 0 && full.alphaBars[1999] < 1e-5, "last alpha-bar \(full.alphaBars[1999])")
        for i in 1..<2000 {
            #expect(full.alphaBars[i] < full.alphaBars[i - 1], "not decreasing at \(i)")
        }
        #expect(full.betas.allSatisfy { $0 > 0 && $0 <= 0.999 })
        // abar(s) = 1 - sqrt(s + 1e-4) at the first step: alphaBar_0 = abar(1/T) / abar(0).
        let expected = (1 - (1.0 / 2000 + 1e-4).squareRoot()) / (1 - (1e-4).squareRoot())
        #expect(abs(full.alphaBars[0] - expected) < 1e-12)
    }

    @Test func alphaBarIsTheProductOfOneMinusBeta() {
        var product = 1.0
        for i in 0..<full.count {
            product *= 1 - full.betas[i]
            #expect(abs(product - full.alphaBars[i]) <= 1e-12 * max(1, product), "index \(i)")
        }
    }

    @Test func lastStepPosteriorReturnsThePredictionItself() {
        for schedule in [full, full.respaced(to: 200), full.respaced(to: 7), full.respaced(to: 1)] {
            let p = schedule.posterior(0)
            #expect(abs(p.c1 - 1) < 1e-9, "c1 \(p.c1) with \(schedule.count) steps")
            #expect(p.c2 == 0 && p.variance == 0, "c2 \(p.c2), variance \(p.variance) with \(schedule.count) steps")
            #expect(schedule.alphaBarPrevious(0) == 1)
        }
    }

    @Test(arguments: [2000, 200, 50, 2])
    func posteriorCoefficientsAreConsistent(steps: Int) {
        let s = full.respaced(to: steps)
        for i in 1..<s.count {
            let (c1, c2, variance) = s.posterior(i)
            let abar = s.alphaBars[i], prev = s.alphaBars[i - 1], beta = s.betas[i]
            #expect(c1 > 0 && c2 > 0 && variance > 0, "index \(i)")
            // Formulas of docs/DESIGN.md ("The method").
            #expect(abs(c1 - beta * prev.squareRoot() / (1 - abar)) < 1e-12)
            #expect(abs(c2 - (1 - prev) * (1 - beta).squareRoot() / (1 - abar)) < 1e-12)
            #expect(abs(variance - beta * (1 - prev) / (1 - abar)) < 1e-12)
            // x_t = sqrt(abar_t) x0 (no noise) has posterior mean sqrt(abar_{t-1}) x0, and the
            // posterior keeps the marginal variance: c2^2 (1 - abar_t) + var = 1 - abar_{t-1}.
            #expect(abs(c1 + c2 * abar.squareRoot() - prev.squareRoot()) < 1e-9, "mean identity at \(i)")
            #expect(abs(c2 * c2 * (1 - abar) + variance - (1 - prev)) < 1e-9, "variance identity at \(i)")
        }
    }

    @Test(arguments: [2, 3, 10, 200, 1000, 1999, 2000])
    func respacingKeepsFirstLastAndOriginalAlphaBars(k: Int) {
        let s = full.respaced(to: k)
        #expect(s.count == k && s.timesteps.count == k && s.betas.count == k && s.alphaBars.count == k)
        #expect(s.timesteps.first == 0 && s.timesteps.last == 1999)
        for j in 1..<k { #expect(s.timesteps[j] > s.timesteps[j - 1], "timesteps not strictly increasing at \(j)") }
        for j in 0..<k {
            #expect(s.alphaBars[j] == full.alphaBars[s.timesteps[j]], "alpha-bar at kept index \(s.timesteps[j])")
        }
        // Betas are rebuilt so that every step jumps straight between kept noise levels.
        #expect(abs(s.betas[0] - (1 - s.alphaBars[0])) < 1e-15)
        for j in 1..<k {
            #expect(abs(s.betas[j] - (1 - s.alphaBars[j] / s.alphaBars[j - 1])) < 1e-15)
            #expect(s.betas[j] > 0 && s.betas[j] < 1)
        }
    }

    @Test func respacingIsEvenlySpread() {
        let s = full.respaced(to: 200)
        let gaps = zip(s.timesteps.dropFirst(), s.timesteps).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 == 10 || $0 == 11 }, "gaps \(Set(gaps))")
    }

    @Test func respacingToOneStepKeepsTheNoisiestLevel() {
        let s = full.respaced(to: 1)
        #expect(s.timesteps == [1999] && s.alphaBars == [full.alphaBars[1999]])
    }

    @Test func snrFallsWithTheNoiseLevel() {
        for i in 1..<full.count { #expect(full.snrDB(i) < full.snrDB(i - 1)) }
        #expect(full.snrDB(0) > 15 && full.snrDB(1999) < -50)
    }

    @Test func shortSchedulesFromSmallModelsAreValid() {
        for t in [2, 3, 10, 100] {
            let s = NoiseSchedule(sqrtSteps: t)
            #expect(s.count == t)
            #expect(s.alphaBars.allSatisfy { $0.isFinite && $0 >= 0 && $0 < 1 })
            #expect(s.betas.allSatisfy { $0.isFinite && $0 > 0 && $0 <= 0.999 })
            for i in 1..<t { #expect(s.alphaBars[i] < s.alphaBars[i - 1]) }
        }
    }
}
