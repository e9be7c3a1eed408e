// Fused multiply-add on eight float lanes, for the elementwise kernels in DenoiseCore.
//
// Swift has no way to ask for a vector FMA: SIMD8's addingProduct is written lane by lane and
// LLVM does not turn it back into one vector instruction, and plain `a * b + c` is never
// contracted. Clang can contract, so this header-only module gives Swift one inline function
// whose body clang compiles with contraction on. The ext_vector_type(8) float is Swift's
// SIMD8<Float>. Where the target has FMA (the release build passes -target-cpu) the result is
// one vfmadd; elsewhere it is a multiply and an add, the same result as `a * b + c` in Swift.
#ifndef DENOISE_FUSED_H
#define DENOISE_FUSED_H

typedef float denoise_f8 __attribute__((ext_vector_type(8)));

static inline __attribute__((always_inline)) denoise_f8 denoise_fma8(denoise_f8 a, denoise_f8 b, denoise_f8 c) {
#pragma clang fp contract(fast)
    return a * b + c;
}

#endif
