/*
 * sqlite_lock.c - the run lock of a SQLite database: flock() on a file
 * beside it, which the kernel releases when a runner dies.  The file also
 * records who holds the lock and the attempt in progress, so a killed run
 * stays on record without an extra commit.  Its one line reads
 *   pid=12 host=h since=T [version=3 direction=up started_at=T name=x]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "sb.h"
#include "sqlite_int.h"
#include "util.h"

/* Last: it redefines names the headers above declare (STYLE 2.8). */
#include "banned.h"

#define LOCK_POLL_MS 20

/* Read the whole (small) lock file from the start. */
static char *read_line(int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/*
 * Parse "k=v k=v" into an attempt and a human description of the holder;
 * false when memory ran out (*a is then released).
 */
static bool parse_line(const char *line, struct attempt *a)
{
	const char *pid = NULL, *host = NULL, *since = NULL;
	char *copy = strdup(line), *save = NULL, *tok;
	struct sb holder = SB_INIT;
	bool oom = false;

	attempt_release(a);
	if (!copy)
		return false;
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(tok, "pid"))
			pid = eq;
		else if (!strcmp(tok, "host"))
			host = eq;
		else if (!strcmp(tok, "since"))
			since = eq;
		else if (!strcmp(tok, "version")) {
			a->present = true;
			a->version = strtoll(eq, NULL, 10);
		} else if (!strcmp(tok, "direction"))
			a->direction =
				!strcmp(eq, "down") ? STRATA_DOWN : STRATA_UP;
		else if (!strcmp(tok, "started_at"))
			oom |= !(a->started_at = strdup(eq));
		else if (!strcmp(tok, "name"))
			oom |= !(a->name = strdup(eq));
	}
	if (pid) {
		sb_addf(&holder, "pid %s on %s", pid, host ? host : "?");
		if (since)
			sb_addf(&holder, " since %s", since);
		a->holder = sb_detach(&holder);
	}
	free(copy);
	if (oom || (pid && !a->holder)) {
		attempt_release(a);
		return false;
	}
	return true;
}

/*
 * Rewrite the file: the holder, then the attempt if there is one.  One
 * pwrite, no fsync, no commit: spaces after the newline cover a longer
 * earlier line (readers stop at the newline), so only the run's first
 * write (or a clearing too long for the stack) also sets the length.
 * Clearing allocates nothing: it must work when memory has run out.
 */
static int write_line(struct sqlite_conn *s, const struct attempt *a)
{
	const char *head = s->lock_line ? s->lock_line : "\n";
	size_t head_len = strlen(head) - 1; /* without its newline */
	struct sb line = SB_INIT;
	const char *buf = head;
	size_t len = head_len + 1;
	bool truncate = !s->lock_len_known;
	char clear[512];
	int rc = STRATA_OK;

	if (a && a->present) {
		sb_add(&line, head, head_len);
		sb_addf(&line,
			" version=%lld direction=%s started_at=%s name=%s\n",
			(long long)a->version,
			a->direction == STRATA_DOWN ? "down" : "up",
			a->started_at ? a->started_at : "",
			a->name ? a->name : "");
		while (!truncate && line.len < s->lock_len && !line.failed)
			sb_addc(&line, ' ');
		if (line.failed) {
			sb_release(&line);
			return err_oom(s->base.ctx);
		}
		buf = line.buf;
		len = line.len;
	} else if (!truncate && s->lock_len > len) {
		if (s->lock_len <= sizeof(clear)) {
			memcpy(clear, head, len);
			memset(clear + len, ' ', s->lock_len - len);
			buf = clear;
			len = s->lock_len;
		} else {
			truncate = true;
		}
	}
	if (pwrite(s->lock_fd, buf, len, 0) != (ssize_t)len ||
	    (truncate && ftruncate(s->lock_fd, (off_t)len) != 0))
		rc = err_set(s->base.ctx, STRATA_EIO,
			     "cannot write lock file '%s': %s", s->lock_path,
			     strerror(errno));
	else
		s->lock_len = len, s->lock_len_known = true;
	sb_release(&line);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Open (or create) the lock file without letting the folder turn it
 * against the user: a symlink is refused (O_NOFOLLOW: otherwise writing
 * the holder line would truncate the link's target), so is anything but
 * a regular file with one link (a planted hard link, a FIFO).  A new file
 * gets the database file's permission bits, so the lock of a database
 * that is private stays private and one shared with a group stays usable
 * by that group; without a database file yet, 0644 less the umask.
 */
static int open_lock_file(struct sqlite_conn *s)
{
	strata *ctx = s->base.ctx;
	mode_t mode = 0644;
	struct stat st;
	bool created = true;
	int fd;

	if (stat(s->path, &st) == 0 && S_ISREG(st.st_mode))
		mode = st.st_mode & 0666;
	fd = open(s->lock_path,
		  O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
			  O_CLOEXEC,
		  mode);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(s->lock_path,
			  O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd < 0 && errno == ELOOP)
		return err_set(
			ctx, STRATA_EIO,
			"refusing lock file '%s': it is a symbolic link (remove it; strata creates its own)",
			s->lock_path);
	if (fd < 0)
		return err_set(ctx, STRATA_EIO,
			       "cannot open lock file '%s': %s", s->lock_path,
			       strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return err_set(
			ctx, STRATA_EIO,
			"refusing lock file '%s': it is not a regular file, or is a hard link to another file (remove it; strata creates its own)",
			s->lock_path);
	}
	/*
	 * The umask must not take from a new file what the database has; an
	 * older file may not grant more than the database does.  Failing
	 * (not our file), the lock still works.
	 */
	if (created && (st.st_mode & 0777) != mode)
		(void)fchmod(fd, mode);
	else if (!created && (st.st_mode & 0777 & ~mode))
		(void)fchmod(fd, st.st_mode & mode & 0777);
	s->lock_fd = fd;
	return STRATA_OK;
}

int sqlite_lock(struct engine_conn *c, int timeout_s)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	int64_t deadline = util_ms() + (int64_t)timeout_s * 1000;
	char since[ISO_TIME_LEN];
	struct sb holder = SB_INIT;
	char *line;

	if (!s->lock_path || s->lock_fd >= 0)
		return STRATA_OK; /* :memory: is private to this process */
	if (open_lock_file(s) != STRATA_OK)
		return STRATA_EIO;
	while (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(s->lock_fd);
			s->lock_fd = -1;
			return err_set(c->ctx, STRATA_EIO,
				       "cannot lock '%s': %s", s->lock_path,
				       strerror(e));
		}
		if (util_ms() >= deadline) {
			struct attempt held = { .id = -1 };
			line = read_line(s->lock_fd);
			parse_line(line ? line : "", &held);
			err_set(c->ctx, STRATA_ELOCKED,
				"timed out after %d s waiting for the lock on '%s' (held by %s)",
				timeout_s, s->path,
				held.holder ? held.holder : "another runner");
			attempt_release(&held);
			free(line);
			close(s->lock_fd);
			s->lock_fd = -1;
			return STRATA_ELOCKED;
		}
		sleep_ms(LOCK_POLL_MS);
	}
	/* What a killed restore left beside the database goes. */
	sqlite_staging_clean(s);
	/* An attempt left here was a runner that died: keep it on record. */
	line = read_line(s->lock_fd);
	if (!line || !parse_line(line, &s->stale)) {
		free(line); /* the file stays as it is, for the next runner */
		flock(s->lock_fd, LOCK_UN);
		close(s->lock_fd);
		s->lock_fd = -1;
		return err_oom(c->ctx);
	}
	free(line);
	util_now_iso(since);
	sb_addf(&holder, "pid=%ld host=%s since=%s\n", (long)getpid(),
		util_host(), since);
	free(s->lock_line);
	s->lock_line = sb_detach(&holder);
	if (!s->lock_line) {
		sqlite_unlock(c);
		return err_oom(c->ctx);
	}
	return write_line(s, &s->stale);
}

void sqlite_unlock(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	if (s->lock_fd < 0)
		return;
	/* An idle lock file is empty, unless a dead run is still unrecorded. */
	if (!s->stale.present && ftruncate(s->lock_fd, 0) != 0)
		(void)0; /* a stale line only costs a 'running' row in status */
	flock(s->lock_fd, LOCK_UN);
	close(s->lock_fd);
	s->lock_fd = -1;
	s->lock_len_known = false;
}

int sqlite_attempt_begin(struct engine_conn *c, const struct attempt *a,
			 int64_t *history_id)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	*history_id = -1; /* the runner writes the final row itself */
	if (s->lock_fd < 0)
		return STRATA_OK;
	return write_line(s, a);
}

int sqlite_attempt_end(struct engine_conn *c)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;

	attempt_release(&s->stale);
	if (s->lock_fd < 0)
		return STRATA_OK;
	return write_line(s, NULL);
}

static int copy_attempt(strata *ctx, const struct attempt *from,
			struct attempt *to)
{
	attempt_release(to);
	*to = *from;
	to->name = from->name ? strdup(from->name) : NULL;
	to->started_at = from->started_at ? strdup(from->started_at) : NULL;
	to->holder = from->holder ? strdup(from->holder) : NULL;
	if ((from->name && !to->name) ||
	    (from->started_at && !to->started_at) ||
	    (from->holder && !to->holder))
		return err_oom(ctx);
	return STRATA_OK;
}

int sqlite_attempt_peek(struct engine_conn *c, const char *prefix,
			struct attempt *a)
{
	struct sqlite_conn *s = (struct sqlite_conn *)c;
	bool held;
	char *line;
	int fd;

	(void)prefix;
	attempt_release(a);
	if (s->lock_fd >= 0) /* we hold it: what a dead runner left */
		return copy_attempt(c->ctx, &s->stale, a);
	if (!s->lock_path)
		return STRATA_OK;
	fd = open(s->lock_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return STRATA_OK; /* no runner ever ran here */
	held = flock(fd, LOCK_SH | LOCK_NB) != 0;
	line = read_line(fd);
	if (!held)
		flock(fd, LOCK_UN);
	close(fd);
	if (!line)
		return err_oom(c->ctx);
	if (!parse_line(line, a)) {
		free(line);
		return err_oom(c->ctx);
	}
	free(line);
	a->alive = held;
	if (!held) { /* a holder line without a lock is history */
		free(a->holder);
		a->holder = NULL;
	}
	return STRATA_OK;
}
