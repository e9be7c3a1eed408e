// The BLAS and LAPACK provider: OpenBLAS on Linux (Debian: libopenblas-dev), Accelerate on macOS.
// Package.swift links the library for each platform. Everything the Swift code calls that
// differs between the two is wrapped here or in DenoiseCore's BLASProvider.swift.
#ifndef DENOISE_CBLAS_SHIM_H
#define DENOISE_CBLAS_SHIM_H

#include <stddef.h>

#if defined(__APPLE__)
// Accelerate's current LAPACK interface (LAPACK 3.9.1 and later, macOS 13.3 and later), which
// Package.swift selects by defining ACCELERATE_NEW_LAPACK for the importer (a define here would
// not reach the framework's Clang module). The older CLAPACK interface (clapack.h, LAPACK 3.2.1)
// is deprecated: every call would warn. The new ssyevd_ takes no hidden string lengths, and its
// integers are 32-bit (__LAPACK_int) unless ACCELERATE_LAPACK_ILP64 is defined, which it is not.
#include <Accelerate/Accelerate.h>
#else
// OpenBLAS's CBLAS interface. The header lives in the multiarch include folder, which is on the
// default search path.
#include <cblas.h>

// LAPACK's symmetric eigensolver, which libopenblas exports under its Fortran name (Debian
// ships no LAPACKE header). Arguments by reference, column-major; the two trailing lengths are
// the hidden lengths gfortran passes for the CHARACTER arguments.
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
#endif

/// LAPACK's ssyevd with one signature on both platforms; returns LAPACK's `info`.
static inline int dn_ssyevd(char jobz, char uplo, int n, float *a, int lda, float *w,
                            float *work, int lwork, int *iwork, int liwork) {
    int info = 0;
#if defined(__APPLE__)
    ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info);
#else
    ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
#endif
    return info;
}

#endif
