// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). The header lives in the
// multiarch include folder, which is on the default search path.
#include <cblas.h>

// LAPACK's symmetric eigensolver, which libopenblas exports under its Fortran name (Debian
// ships no LAPACKE header). Arguments by reference, column-major; the two trailing lengths are
// the hidden lengths gfortran passes for the CHARACTER arguments.
#include <stddef.h>
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
