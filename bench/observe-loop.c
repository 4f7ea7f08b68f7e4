/*
 * observe-loop.c: the loops bench/observe-cost.sh times, built static so
 * the same binary runs on the host and in any container.
 *
 *   observe-loop getppid N  N x getppid(): ns each (a syscall not watched)
 *   observe-loop open N     N x (open("/etc/hostname") + close): ns per pair
 *   observe-loop mmap N     N x (mmap(PROT_READ|PROT_EXEC) + munmap): ns per pair
 *   observe-loop exec N     N x (fork + execve("/bin/true") + wait): us each
 *
 * getppid and open are not watched by default; mmap with PROT_EXEC is
 * (a stash in a watched container); exec is clone, execve and the
 * loader's maps. Prints two figures: wall time, and CPU time (this
 * process and its children, user + system), per iteration.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
tv(const struct timeval *t)
{
	return t->tv_sec + t->tv_usec / 1e6;
}

static void
now(double *wall, double *cpu)
{
	struct rusage	self, kids;
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	*wall = ts.tv_sec + ts.tv_nsec / 1e9;
	*cpu = tv(&self.ru_utime) + tv(&self.ru_stime) +
	    tv(&kids.ru_utime) + tv(&kids.ru_stime);
}

int
main(int argc, char **argv)
{
	char	*args[] = { "true", NULL }, *env[] = { NULL };
	double	 w0, c0, w1, c1, unit = 1e9;
	void	*p;
	long	 i, n;
	int	 fd, st;
	pid_t	 pid;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	now(&w0, &c0);
	if (strcmp(argv[1], "getppid") == 0) {
		for (i = 0; i < n; i++)
			getppid();
	} else if (strcmp(argv[1], "open") == 0) {
		for (i = 0; i < n; i++) {
			if ((fd = open("/etc/hostname", O_RDONLY)) < 0) {
				perror("/etc/hostname");
				return 1;
			}
			close(fd);
		}
	} else if (strcmp(argv[1], "mmap") == 0) {
		for (i = 0; i < n; i++) {
			p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				perror("mmap");
				return 1;
			}
			munmap(p, 4096);
		}
	} else if (strcmp(argv[1], "exec") == 0) {
		unit = 1e6;
		for (i = 0; i < n; i++) {
			if ((pid = fork()) == 0) {
				execve("/bin/true", args, env);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0) {
				perror("fork, exec or wait");
				return 1;
			}
		}
	} else
		return 2;
	now(&w1, &c1);
	printf("%.1f %.1f\n", (w1 - w0) / n * unit, (c1 - c0) / n * unit);
	return 0;
}
