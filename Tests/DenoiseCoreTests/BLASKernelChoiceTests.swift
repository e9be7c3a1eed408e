import Testing
@testable import DenoiseCore

/// The map from (reported core, CPU) to the kernel set to force, and the start-up decision.
@Suite struct BLASKernelChoiceTests {
    static let emeraldRapids = CPUDescription(vendor: .intel, features: CPUDescription.Features.avx512.union(.avx512bf16))
    static let iceLake = CPUDescription(vendor: .intel, features: .avx512)
    static let zen4 = CPUDescription(vendor: .amd, features: CPUDescription.Features.avx512.union(.avx512bf16))
    static let avx2Laptop = CPUDescription(vendor: .intel, features: [.avx2, .fma])
    static let zen2 = CPUDescription(vendor: .amd, features: [.avx2, .fma])
    static let hygon = CPUDescription(vendor: .amd, features: [.avx2, .fma])
    static let avxOnly = CPUDescription(vendor: .intel, features: [])
    static let avx2NoFMA = CPUDescription(vendor: .intel, features: [.avx2])
    static let partialAVX512 = CPUDescription(vendor: .intel, features: [.avx2, .fma, .avx512f])
    static let arm64 = CPUDescription(vendor: .other, features: [])

    static let cases: [(core: String, cpu: CPUDescription, expected: String?)] = [
        // Generic cores on CPUs that can do better.
        ("Prescott", emeraldRapids, "Cooperlake"),
        ("Prescott", iceLake, "SkylakeX"),
        ("Core2", iceLake, "SkylakeX"),
        ("Nehalem", zen4, "Cooperlake"),
        ("Unknown", avx2Laptop, "Haswell"),
        ("Atom", avx2Laptop, "Haswell"),
        ("Katmai", avx2Laptop, "Haswell"),
        ("Dunnington", avx2Laptop, "Haswell"),
        ("Penryn", avx2Laptop, "Haswell"),
        ("Banias", avx2Laptop, "Haswell"),
        ("Sandybridge", avx2Laptop, "Haswell"),
        ("Barcelona", zen2, "Zen"),
        ("Opteron_SSE3", hygon, "Zen"),
        ("prescott", iceLake, "SkylakeX"),          // case does not matter
        ("Prescott", partialAVX512, "Haswell"),     // AVX-512 needs F, BW, DQ and VL
        // Nothing better to offer.
        ("Prescott", avxOnly, nil),
        ("Prescott", avx2NoFMA, nil),
        ("Prescott", arm64, nil),
        // Specific cores are the library's informed choice.
        ("SkylakeX", emeraldRapids, nil),
        ("Cooperlake", emeraldRapids, nil),
        ("Haswell", iceLake, nil),
        ("Zen", zen4, nil),
        ("Excavator", avx2Laptop, nil),
        ("ARMV8", arm64, nil),
        ("NEOVERSEN1", arm64, nil),
        // Newer libraries (Debian 13 ships 0.3.29) know newer cores and, for a model they do not
        // know, pick a real core by the CPU's features: every name outside the generic list is
        // trusted, including ones this program has never seen.
        ("SapphireRapids", emeraldRapids, nil),
        ("SkylakeX", zen4, nil),
        ("Cooperlake", zen4, nil),
        ("Haswell", zen2, nil),
        ("GraniteRapids", emeraldRapids, nil),
        ("NEOVERSEV1", arm64, nil),
        ("NEOVERSEN2", arm64, nil),
        ("CORTEXA76", arm64, nil),
        ("ARMV8SVE", arm64, nil),
        // A generic report from a newer library is still replaced where the CPU can do better.
        ("Sandybridge", zen4, "Cooperlake"),
        ("Nehalem", avx2Laptop, "Haswell"),
    ]

    @Test(arguments: 0..<cases.count)
    func kernelSetFollowsTheFeatures(index: Int) {
        let c = Self.cases[index]
        #expect(BLASKernelChoice.kernelSet(reportedCore: c.core, cpu: c.cpu) == c.expected, "\(c.core) on \(c.cpu)")
    }

    /// A user's AVX2 choice on an AVX-512 CPU is kept but named; a user choice that is already
    /// the best, or on a CPU without AVX-512, gets no hint.
    @Test func aUserChoiceBelowTheCPUIsNamed() throws {
        let hint = try #require(BLASKernelChoice.userChoiceHint(userCore: "Haswell", cpu: Self.zen4))
        #expect(hint.contains("OPENBLAS_CORETYPE=Haswell") && hint.contains("Cooperlake"))
        #expect(BLASKernelChoice.userChoiceHint(userCore: "Prescott", cpu: Self.iceLake)?.contains("SkylakeX") == true)
        #expect(BLASKernelChoice.userChoiceHint(userCore: "Cooperlake", cpu: Self.zen4) == nil)
        #expect(BLASKernelChoice.userChoiceHint(userCore: "SkylakeX", cpu: Self.iceLake) == nil)
        #expect(BLASKernelChoice.userChoiceHint(userCore: "Haswell", cpu: Self.avx2Laptop) == nil)
        #expect(BLASKernelChoice.userChoiceHint(userCore: "Haswell", cpu: Self.arm64) == nil)
    }

    @Test func startupDecision() {
        let decide = BLASStartup.decide
        let imitate = BLASStartup.imitateVariable, chosen = BLASStartup.chosenVariable
        // Out of the box: the library's detection, unless it is generic on a better CPU.
        #expect(decide([:], "SkylakeX", Self.iceLake) == .keep(.library))
        #expect(decide([:], "SapphireRapids", Self.emeraldRapids) == .keep(.library))
        #expect(decide([:], "NEOVERSEN1", Self.arm64) == .keep(.library))
        #expect(decide([:], "Prescott", Self.emeraldRapids) == .reexecute(coreType: "Cooperlake"))
        #expect(decide([:], "Prescott", Self.arm64) == .keep(.library))
        // A user's OPENBLAS_CORETYPE always wins, even a generic one.
        #expect(decide(["OPENBLAS_CORETYPE": "Prescott"], "Prescott", Self.iceLake) == .keep(.user))
        #expect(decide(["OPENBLAS_CORETYPE": "Haswell"], "Haswell", Self.iceLake) == .keep(.user))
        // An empty variable is no choice.
        #expect(decide(["OPENBLAS_CORETYPE": ""], "Prescott", Self.iceLake) == .reexecute(coreType: "SkylakeX"))
        // The re-executed process keeps what it was given and never re-executes again, even when
        // the library ignored the variable.
        #expect(decide(["OPENBLAS_CORETYPE": "SkylakeX", chosen: "SkylakeX"], "SkylakeX", Self.iceLake) == .keep(.cpuFeatures))
        #expect(decide(["OPENBLAS_CORETYPE": "SkylakeX", chosen: "SkylakeX"], "Prescott", Self.iceLake) == .keep(.cpuFeatures))
        #expect(decide(["OPENBLAS_CORETYPE": "Haswell", chosen: "SkylakeX"], "Haswell", Self.iceLake) == .keep(.user))
        // The test switch: started under OPENBLAS_CORETYPE=Prescott, behaves as if detected.
        #expect(decide(["OPENBLAS_CORETYPE": "Prescott", imitate: "Prescott"], "Prescott", Self.iceLake) == .reexecute(coreType: "SkylakeX"))
        #expect(decide(["OPENBLAS_CORETYPE": "Prescott", imitate: "Prescott"], "Prescott", Self.zen2) == .reexecute(coreType: "Zen"))
        #expect(decide(["OPENBLAS_CORETYPE": "SkylakeX", imitate: "Prescott", chosen: "SkylakeX"], "SkylakeX", Self.iceLake)
                == .keep(.cpuFeatures))
    }

    @Test func libraryDescriptionNamesTheKernelsInUse() {
        #expect(BLAS.summaryFields["blasCoreType"] == BLAS.coreType)
#if os(macOS)
        #expect(BLAS.library.name == "Accelerate")
#else
        #expect(BLAS.library.name == "OpenBLAS")
#endif
        #expect(BLAS.library.version.split(separator: ".").count >= 2)
        #expect(BLAS.summary.contains(BLAS.coreType))
    }
}

/// The one place that sets OpenBLAS's thread count: a scope that gives the count back. The
/// count is one setting of the process that tests running side by side share, so the scope's
/// logic is checked on a count of the test's own.
@Suite struct BLASThreadScopeTests {
    struct Failure: Error {}

    final class Count {
        var value = 3
        var history: [Int] = []
    }

    @Test func aScopeSetsTheCountAndGivesItBackAlsoOnAThrow() {
        let count = Count()
        func scope<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
            try BLAS.scoped(n, get: { count.value }, set: { count.value = $0; count.history.append($0) }, body)
        }
        scope(2) {
            #expect(count.value == 2)
            scope(1) { #expect(count.value == 1) }
            #expect(count.value == 2)
        }
        #expect(count.value == 3 && count.history == [2, 1, 2, 3])
        #expect(throws: Failure.self) { try scope(1) { throw Failure() } }
        #expect(count.value == 3)
        scope(0) { #expect(count.value == 1, "at least one thread") }
        #expect(count.value == 3)
    }

    /// Chains per core, the rest of the cores as BLAS threads only for a model that gains from
    /// them; or one chain on every core.
    @Test func theSplitOfABatch() {
        let small = TinyModel.make()
        #expect(small.denoiser.inferenceThreads == 1)
        func split(_ p: SamplingParallelism, _ count: Int, _ cores: Int) -> [Int] {
            let s = p.split(count: count, cores: cores, model: small)
            return [s.chains, s.threads]
        }
        #expect(split(.chainsPerCore, 8, 2) == [2, 1])
        #expect(split(.chainsPerCore, 1, 4) == [1, 1])
        #expect(split(.chainsPerCore, 3, 8) == [3, 1])
        #expect(split(.threadsPerChain, 8, 2) == [1, 2])
    }

    /// Both ways of splitting a batch give every sample, each a sequence of the model's words.
    @Test(arguments: SamplingParallelism.allCases)
    func batchSamplingGivesEverySample(parallelism: SamplingParallelism) throws {
        let model = TinyModel.make()
        let result = try BatchSampler.sample(model: model, settings: ChainSettings(seed: 4, steps: 5), count: 3,
                                             workers: 2, parallelism: parallelism)
        #expect(result.ids.count == 3 && result.ids.allSatisfy { $0.count == model.config.sequenceLength })
        #expect(result.ids.joined().allSatisfy { $0 >= 0 && Int($0) < model.vocabulary.count })
    }
}
