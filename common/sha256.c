/*
 * sha256.c: SHA-256 through OpenSSL's EVP interface.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/sha256.h"

static void
to_hex(const unsigned char *md, unsigned int len, char *hex)
{
	static const char	digits[] = "0123456789abcdef";
	unsigned int		i;

	for (i = 0; i < len; i++) {
		hex[i * 2] = digits[md[i] >> 4];
		hex[i * 2 + 1] = digits[md[i] & 0xf];
	}
	hex[len * 2] = '\0';
}

int
sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], struct rt_error *err)
{
	unsigned char	 buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	EVP_MD_CTX	*ctx;
	off_t		 off = 0;
	ssize_t		 n;
	int		 rc = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return rt_error_set(err, ENOMEM, "sha256: no memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = rt_error_set(err, EIO, "sha256: digest init failed");
		goto out;
	}
	/* pread keeps the descriptor's offset untouched for its owner. */
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rt_error_sys(err, errno, "sha256: reading fd %d", fd);
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	to_hex(md, mdlen, hex);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
sha256_buf(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, hex);
}

int
sha256_fd_cached(struct sha256_cache *c, int fd, char hex[SHA256_HEX_LEN + 1],
    struct rt_error *err)
{
	struct sha256_slot	*s;
	struct stat		 st;
	int			 rc;

	if (fstat(fd, &st) < 0)
		return rt_error_sys(err, errno, "fstat");
	s = &c->slots[((size_t)st.st_ino * 2654435761u ^ (size_t)st.st_dev) %
	    SHA256_CACHE_SLOTS];
	if (!(s->used && s->dev == st.st_dev && s->ino == st.st_ino &&
	    s->size == st.st_size && s->ctime.tv_sec == st.st_ctim.tv_sec &&
	    s->ctime.tv_nsec == st.st_ctim.tv_nsec)) {
		s->used = false;
		if ((rc = sha256_fd(fd, s->hex, err)) < 0)
			return rc;
		s->used = true;
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
		s->ctime = st.st_ctim;
	}
	memcpy(hex, s->hex, sizeof(s->hex));
	return 0;
}
