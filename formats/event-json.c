/*
 * event-json.c: struct rt_event -> one line of JSON (see event-json.h).
 *
 * Why it is built from pieces: json_dumpb() costs about 0.35 us a call
 * plus 8 ns a byte here (its string writer steps through every code
 * point), so dumping a whole 430-byte event object costs 3.4 s per
 * million events, more than twice what `report --json` may take. Yet
 * nearly every byte of an event repeats from one to the next: one image,
 * a few containers, paths and reasons. So each member is encoded by
 * jansson on its own, as a one-member object dumped with JSON_EMBED
 * (which leaves out the braces, for concatenating), and each field keeps
 * the encodings of its recent values. What changes with every event,
 * "time" and "pid" (and "first", "last"), is an RFC 3339 time and an
 * integer: ASCII digits and punctuation that need no escaping, written
 * here directly (a jansson dump of them cost 0.6 us an event, half of
 * the writer's time). The line is the same bytes json_dumpb() would
 * write for the whole object.
 *
 * A field keeps at most FIELD_SETS * FIELD_WAYS values of at most
 * FIELD_VALUE_MAX bytes, least recently used out first: hostile paths can
 * make it hold about 1.3 MiB (each byte escaped to four), never more.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/timefmt.h"
#include "common/xmalloc.h"
#include "formats/event-json.h"

#define FIELD_SETS	256	/* sets of encodings per field, a power of 2 */
#define FIELD_WAYS	4	/* encodings per set */
#define FIELD_VALUE_MAX	256	/* longer values are encoded every time */
#define DUMP_FLAGS	(JSON_COMPACT | JSON_EMBED)

/* The members after "time" and "pid", in the order they are written. */
enum field_id {
	F_PPID, F_COUNT, F_IMAGE, F_CONTAINER, F_EXE, F_COMM, F_TYPE, F_PATH,
	F_DECISION, F_REASON, F_ROUTE, F_MODE, F__COUNT
};

static const char *const field_keys[F__COUNT] = {
	"ppid", "count", "image", "container", "exe", "comm", "type", "path",
	"decision", "reason", "route", "mode",
};

struct encoding {
	char		*value;		/* the raw bytes encoded (NULL: unused) */
	size_t		 value_len;
	char		*json;		/* "key":value as jansson wrote it */
	size_t		 json_len;
	uint64_t	 used;		/* when it was last used (for eviction) */
};

struct field {
	json_t		*obj;		/* { key: val }, dumped with JSON_EMBED */
	json_t		*val;
	struct encoding	*slots;		/* FIELD_SETS * FIELD_WAYS, on first use */
	struct encoding	*last;		/* the one used last */
};

struct event_json {
	struct field	 fields[F__COUNT];
	char		*line;		/* the line being written */
	size_t		 line_size, line_len;
	char		*one;		/* one member's encoding */
	size_t		 one_size;
	uint64_t	 tick;		/* counts lookups, for eviction */
	int64_t		 base_sec;	/* the second base holds, or -1 */
	char		 base[20];	/* "2026-11-24T19:53:01" */
};

struct event_json *
event_json_new(void)
{
	struct event_json	*ej = xcalloc(1, sizeof(*ej));
	size_t			 i;

	for (i = 0; i < F__COUNT; i++) {
		ej->fields[i].val = i == F_PPID || i == F_COUNT ?
		    json_integer(0) : json_string("");
		ej->fields[i].obj = json_object();
		json_object_set(ej->fields[i].obj, field_keys[i],
		    ej->fields[i].val);
	}
	ej->base_sec = -1;
	return ej;
}

void
event_json_free(struct event_json *ej)
{
	struct field	*f;
	size_t		 i, j;

	if (ej == NULL)
		return;
	for (i = 0; i < F__COUNT; i++) {
		f = &ej->fields[i];
		for (j = 0; f->slots != NULL && j < FIELD_SETS * FIELD_WAYS;
		    j++) {
			free(f->slots[j].value);
			free(f->slots[j].json);
		}
		free(f->slots);
		json_decref(f->obj);
		json_decref(f->val);
	}
	free(ej->line);
	free(ej->one);
	free(ej);
}

static void
reserve(char **buf, size_t *size, size_t need)
{
	size_t	n = *size > 0 ? *size : 1024;

	if (need <= *size)
		return;
	while (n < need)
		n *= 2;
	*buf = xreallocarray(*buf, 1, n);
	*size = n;
}

static void
line_add(struct event_json *ej, const char *s, size_t n)
{
	reserve(&ej->line, &ej->line_size, ej->line_len + n + 1);
	memcpy(ej->line + ej->line_len, s, n);
	ej->line_len += n;
}

/* obj's members, as jansson writes them, into *buf (grown); their length. */
static size_t
dump_members(const json_t *obj, char **buf, size_t *size, size_t off)
{
	size_t	n;

	for (;;) {
		n = json_dumpb(obj, *buf + off, *size - off, DUMP_FLAGS);
		if (n == 0 || n <= *size - off)
			return n;
		reserve(buf, size, off + n + 1);
	}
}

static int
line_dump(struct event_json *ej, const json_t *obj)
{
	size_t	n;

	reserve(&ej->line, &ej->line_size, ej->line_len + 256);
	if ((n = dump_members(obj, &ej->line, &ej->line_size,
	    ej->line_len)) == 0)
		return -ENOMEM;
	ej->line_len += n;
	return 0;
}

/*
 * "key":"TIME", TIME in RFC 3339 as time_rfc3339() writes it (digits and
 * "-:.TZ", nothing to escape); the date and time of day are formatted
 * once per second (events come sorted by time).
 */
static void
line_time(struct event_json *ej, const char *member, int64_t ms)
{
	char	t[48];
	int64_t	sec;
	int	m;

	if (ms < 0)
		ms = 0;
	sec = ms / 1000;
	if (sec != ej->base_sec) {
		time_rfc3339(ms, t, sizeof(t));
		if (strlen(t) != 24) {	/* past year 9999: no shortcut */
			ej->base_sec = -1;
			goto out;
		}
		memcpy(ej->base, t, 19);
		ej->base_sec = sec;
	}
	m = (int)(ms % 1000);
	memcpy(t, ej->base, 19);
	t[19] = '.';
	t[20] = (char)('0' + m / 100);
	t[21] = (char)('0' + m / 10 % 10);
	t[22] = (char)('0' + m % 10);
	t[23] = 'Z';
	t[24] = '\0';
out:
	line_add(ej, member, strlen(member));
	line_add(ej, t, strlen(t));
	line_add(ej, "\"", 1);
}

/* "key":N, N as jansson writes an integer (JSON_INTEGER_FORMAT). */
static void
line_int(struct event_json *ej, const char *member, int64_t v)
{
	char		 d[24];
	size_t		 n = sizeof(d);
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		d[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--n] = '-';
	line_add(ej, member, strlen(member));
	line_add(ej, d + n, sizeof(d) - n);
}

/* A quick hash, eight bytes at a time: only picks a set, never trusted. */
static uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; n > 0; s++, n--)
		h = (h ^ *s) * 0x100000001b3ULL;
	/* MurmurHash3's finaliser: every input bit reaches the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static bool
encodes(const struct encoding *e, const void *raw, size_t len)
{
	return e != NULL && e->value != NULL && e->value_len == len &&
	    memcmp(e->value, raw, len) == 0;
}

/* Put the value into f's jansson object: an integer, or escaped bytes. */
static void
field_set(struct field *f, const void *raw, size_t len, bool integer)
{
	char	*e;
	int64_t	 v;

	if (integer) {
		memcpy(&v, raw, sizeof(v));
		json_integer_set(f->val, v);
		return;
	}
	e = rt_escape(raw, len);	/* valid UTF-8 without NUL: no check */
	json_string_setn_nocheck(f->val, e, strlen(e));
	free(e);
}

/* Write f's member for the value raw (len bytes) to the line. */
static int
line_field(struct event_json *ej, struct field *f, const void *raw,
    size_t len, bool integer)
{
	struct encoding	*e = f->last, *set;
	size_t		 n, i;

	if (!encodes(e, raw, len)) {
		if (len > FIELD_VALUE_MAX) {
			field_set(f, raw, len, integer);
			f->last = NULL;
			return line_dump(ej, f->obj);
		}
		if (f->slots == NULL)
			f->slots = xcalloc(FIELD_SETS * FIELD_WAYS,
			    sizeof(*f->slots));
		set = &f->slots[FIELD_WAYS *
		    (hash_bytes(raw, len) & (FIELD_SETS - 1))];
		for (i = 0; i < FIELD_WAYS && !encodes(&set[i], raw, len); i++)
			;
		if (i < FIELD_WAYS)
			e = &set[i];
		else {
			/* Replace the least recently used of the set. */
			for (e = set, i = 1; i < FIELD_WAYS; i++)
				if (set[i].used < e->used)
					e = &set[i];
			field_set(f, raw, len, integer);
			if ((n = dump_members(f->obj, &ej->one, &ej->one_size,
			    0)) == 0)
				return -ENOMEM;
			free(e->value);
			free(e->json);
			e->value = xmalloc(len + 1);
			memcpy(e->value, raw, len);
			e->value_len = len;
			e->json = xmalloc(n);
			memcpy(e->json, ej->one, n);
			e->json_len = n;
		}
		f->last = e;
	}
	e->used = ++ej->tick;
	line_add(ej, e->json, e->json_len);
	return 0;
}

static int
line_string(struct event_json *ej, enum field_id id, const char *s)
{
	if (s == NULL)
		s = "";
	return line_field(ej, &ej->fields[id], s, strlen(s), false);
}

static int
line_integer(struct event_json *ej, enum field_id id, int64_t v)
{
	return line_field(ej, &ej->fields[id], &v, sizeof(v), true);
}

int
event_json_format(struct event_json *ej, const struct rt_event *ev,
    const char **out, size_t *len, struct rt_error *err)
{
	const char *const	 strings[] = {
		[F_IMAGE] = ev->image_ref, [F_CONTAINER] = ev->container_id,
		[F_EXE] = ev->exe, [F_COMM] = ev->comm,
		[F_TYPE] = event_kind_name(ev->kind), [F_PATH] = ev->path,
		[F_DECISION] = event_action_name(ev->action),
		[F_REASON] = ev->reason, [F_ROUTE] = ev->route,
		[F_MODE] = ev->mode,
	};
	int64_t			 count = ev->count > 1 ? ev->count : 1;
	int64_t			 first = ev->first_ms;
	size_t			 i;
	int			 rc;

	*out = NULL;
	*len = 0;
	ej->line_len = 0;
	line_add(ej, "{", 1);
	line_time(ej, "\"time\":\"", ev->time_ms);
	if (count > 1) {
		if (first <= 0 || first > ev->time_ms)
			first = ev->time_ms;
		line_time(ej, ",\"first\":\"", first);
		line_time(ej, ",\"last\":\"", ev->time_ms);
	}
	line_int(ej, ",\"pid\":", ev->pid);
	rc = 0;
	for (i = 0; i < F__COUNT && rc == 0; i++) {
		line_add(ej, ",", 1);
		if (i == F_PPID)
			rc = line_integer(ej, F_PPID, ev->ppid);
		else if (i == F_COUNT)
			rc = line_integer(ej, F_COUNT, count);
		else
			rc = line_string(ej, (enum field_id)i, strings[i]);
	}
	if (rc < 0)
		return rt_error_set(err, -rc, "writing an event as JSON: out of "
		    "memory");
	line_add(ej, "}", 1);
	ej->line[ej->line_len] = '\0';
	*out = ej->line;
	*len = ej->line_len;
	return 0;
}
