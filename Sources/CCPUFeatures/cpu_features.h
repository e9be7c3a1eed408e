// The x86 CPU features that decide which OpenBLAS kernel set fits, read with CPUID and XGETBV.
//
// A feature counts only when the operating system saves its registers too (XCR0): a CPU with
// AVX-512 under an OS that does not enable it must not be given AVX-512 kernels. On every other
// architecture (arm64 included) both functions report nothing, so the program keeps the
// library's own choice there.
#ifndef DENOISE_CPU_FEATURES_H
#define DENOISE_CPU_FEATURES_H

#include <stdint.h>
#include <string.h>

enum {
    DN_CPU_AVX2 = 1 << 0,
    DN_CPU_FMA = 1 << 1,
    DN_CPU_AVX512F = 1 << 2,
    DN_CPU_AVX512BW = 1 << 3,
    DN_CPU_AVX512DQ = 1 << 4,
    DN_CPU_AVX512VL = 1 << 5,
    DN_CPU_AVX512BF16 = 1 << 6,
};

enum { DN_VENDOR_OTHER = 0, DN_VENDOR_INTEL = 1, DN_VENDOR_AMD = 2 };

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static inline uint64_t dn_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));  // xgetbv
    return ((uint64_t)edx << 32) | eax;
}

/// DN_CPU_* bits of the features this CPU has and the OS has enabled.
static inline unsigned dn_cpu_features(void) {
    unsigned eax, ebx, ecx, edx, found = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = dn_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0;  // SSE and AVX state
    if (fma) found |= DN_CPU_FMA;
    if (__get_cpuid_max(0, 0) < 7) return found;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const unsigned maxSubleaf = eax;
    if ((ebx >> 5) & 1) found |= DN_CPU_AVX2;
    if ((xcr0 & 0xE0) == 0xE0) {  // opmask and the upper halves of zmm0-31
        if ((ebx >> 16) & 1) found |= DN_CPU_AVX512F;
        if ((ebx >> 17) & 1) found |= DN_CPU_AVX512DQ;
        if ((ebx >> 30) & 1) found |= DN_CPU_AVX512BW;
        if ((ebx >> 31) & 1) found |= DN_CPU_AVX512VL;
        if (maxSubleaf >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            if ((eax >> 5) & 1) found |= DN_CPU_AVX512BF16;
        }
    }
    return found;
}

/// DN_VENDOR_INTEL, DN_VENDOR_AMD (AMD and Hygon, whose cores OpenBLAS treats as Zen) or other.
static inline int dn_cpu_vendor(void) {
    unsigned eax, ebx, ecx, edx;
    char name[13];
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return DN_VENDOR_OTHER;
    memcpy(name, &ebx, 4); memcpy(name + 4, &edx, 4); memcpy(name + 8, &ecx, 4);
    name[12] = 0;
    if (strcmp(name, "GenuineIntel") == 0) return DN_VENDOR_INTEL;
    if (strcmp(name, "AuthenticAMD") == 0 || strcmp(name, "HygonGenuine") == 0) return DN_VENDOR_AMD;
    return DN_VENDOR_OTHER;
}
#else
static inline unsigned dn_cpu_features(void) { return 0; }
static inline int dn_cpu_vendor(void) { return DN_VENDOR_OTHER; }
#endif

#endif
