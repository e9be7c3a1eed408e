// Wide-character ncurses for Swift.
//
// Linux: SwiftPM drops the -D_XOPEN_SOURCE that pkg-config would add, which hides the
// wide-character API (cchar_t, setcchar, wadd_wch, wget_wch); defining
// NCURSES_WIDECHAR before the include brings it back. The library is libncursesw.
// macOS: the system's ncurses has the wide-character API in libncurses itself (there is
// no ncursesw), declared only under _XOPEN_SOURCE_EXTENDED. The SDK's curses.h belongs
// to a Clang module, which a define in this file does not reach, so Package.swift passes
// the same define to the importer as well. Which library is linked is set there too.
// Macros and globals that do not import into Swift 6 (A_BOLD, ACS_*, stdscr, LINES, COLS)
// are exposed as static inline functions.
#ifndef DENOISE_CNCURSES_SHIM_H
#define DENOISE_CNCURSES_SHIM_H

#include <locale.h>
#include <wchar.h>
#if defined(__APPLE__)
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <curses.h>
#else
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#endif

static inline WINDOW *dn_stdscr(void) { return stdscr; }
static inline int dn_lines(void) { return LINES; }
static inline int dn_cols(void) { return COLS; }
static inline attr_t dn_a_bold(void) { return A_BOLD; }
static inline attr_t dn_a_reverse(void) { return A_REVERSE; }
static inline attr_t dn_a_underline(void) { return A_UNDERLINE; }
static inline attr_t dn_a_dim(void) { return A_DIM; }
static inline attr_t dn_a_normal(void) { return A_NORMAL; }
static inline int dn_key_f(int n) { return KEY_F(n); }
static inline int dn_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int dn_key_resize(void) { return KEY_RESIZE; }

/// Writes one wide character with attributes and a colour pair at (y, x).
static inline int dn_put_wch(int y, int x, wchar_t ch, attr_t attrs, short pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, 0 };
    setcchar(&cell, text, attrs, pair, NULL);
    return mvwadd_wch(stdscr, y, x, &cell);
}

static inline int dn_colors(void) { return COLORS; }
static inline int dn_color_pairs(void) { return COLOR_PAIRS; }

/// Writes one cell whose character is several code points (a base and combining marks, such
/// as the hat of x-hat); `text` is NUL-terminated, at most CCHARW_MAX code points are used.
static inline int dn_put_cell(int y, int x, const wchar_t *text, attr_t attrs, short pair) {
    cchar_t cell;
    wchar_t buffer[CCHARW_MAX + 1];
    int n = 0;
    while (n < CCHARW_MAX && text[n] != 0) { buffer[n] = text[n]; n++; }
    buffer[n] = 0;
    setcchar(&cell, buffer, attrs, pair, NULL);
    return mvwadd_wch(stdscr, y, x, &cell);
}

/// Gives the terminal back: cursor visible, echo on, out of curses mode. Safe to call twice and
/// from a signal handler that is about to end the process anyway.
static inline void dn_restore_terminal(void) {
    if (!isendwin()) {
        curs_set(1);
        echo();
        nocbreak();
        endwin();
    }
}

#endif
