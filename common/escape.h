/*
 * escape.h: make attacker-shaped bytes (file names, command lines) safe to
 * print on a terminal or put in JSON.
 *
 * Paths are bytes on Linux: they may hold newlines, escape sequences or
 * invalid UTF-8. rt_escape() returns valid, printable UTF-8 in which every
 * control byte, backslash and invalid sequence is written as \n, \t, \\ or
 * \xNN, so one path is always one token on one line; rt_unescape() reverses
 * it exactly, so an escaped path round-trips to the original bytes.
 */
#ifndef RTGUARD_ESCAPE_H
#define RTGUARD_ESCAPE_H

#include <stddef.h>

/* Escape len bytes of s; returns a new string (never NULL). */
char	*rt_escape(const char *s, size_t len);
/* Escape a NUL-terminated string. */
char	*rt_escape_str(const char *s);
/* Reverse rt_escape; returns a new buffer, sets *len; NULL if malformed. */
char	*rt_unescape(const char *s, size_t *len);
/* The value of one hex digit (either case), or -1. */
int	 rt_hexval(int c);
/* Whether s (len bytes) is valid UTF-8. */
int	 rt_utf8_valid(const char *s, size_t len);

#endif
