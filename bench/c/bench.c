// SPDX-License-Identifier: MIT
/*
 * The C baseline: the same work as the TypeScript side, through the same
 * libbpf functions. Usage: bench-c <workload> <n> <batch>. Keys and values are
 * prepared before the clock starts; prints the nanoseconds of the timed part.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* struct tuple and struct counters: the layout bench.schema.ts declares. */
#include "../bench.h"

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench-c: %s: %s\n", what, strerror(ret < 0 ? -ret : errno));
	exit(1);
}

/* The same keys as the TS side: see src/data.ts. */
static void key_of(struct tuple *k, __u32 i)
{
	memset(k, 0, sizeof(*k));
	k->saddr = __builtin_bswap32(0x0a000000 + (i >> 16));
	k->daddr = __builtin_bswap32(i);
	k->sport = __builtin_bswap16(i & 0xffff);
	k->dport = __builtin_bswap16(80);
	k->proto = 6;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench-c <set|get|floor|delete|entries|setMany|getMany|hasMany|addMany|percpuGet> <n> <batch>\n");
		return 2;
	}
	const char *w = argv[1];
	__u32 n = atoi(argv[2]), batch = atoi(argv[3]);
	int percpu = !strcmp(w, "percpuGet");
	int cpus = libbpf_num_possible_cpus();
	struct tuple *keys = calloc(n, sizeof(*keys));
	struct counters *values = calloc(n, sizeof(*values));
	struct counters *out = calloc((size_t)(percpu ? cpus : 1) * (batch > n ? batch : n), sizeof(*out));
	struct tuple *outk = calloc(batch, sizeof(*outk));
	for (__u32 i = 0; i < n; i++) {
		key_of(&keys[i], i);
		values[i] = (struct counters){ i, 2ULL * i, 3ULL * i, 4ULL * i };
	}
	int fd = bpf_map_create(percpu ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH, "bench", sizeof(struct tuple), sizeof(struct counters), n, NULL);
	if (fd < 0)
		die("bpf_map_create", fd);
	if (strcmp(w, "set") && strcmp(w, "setMany")) {
		for (__u32 i = 0; i < n; i++) {
			if (percpu) {
				for (int c = 0; c < cpus; c++)
					out[c] = values[i];
			}
			int ret = bpf_map_update_elem(fd, &keys[i], percpu ? (void *)out : &values[i], BPF_ANY);
			if (ret)
				die("prefill", ret);
		}
	}
	volatile __u64 sink = 0;
	long long start = now();
	if (!strcmp(w, "set")) {
		for (__u32 i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY))
				die("update", -errno);
	} else if (!strcmp(w, "get") || !strcmp(w, "getMany") || !strcmp(w, "hasMany") || !strcmp(w, "floor")) {
		for (__u32 i = 0; i < n; i++) {
			if (bpf_map_lookup_elem(fd, &keys[i], out))
				die("lookup", -errno);
			sink += out->a;
		}
	} else if (!strcmp(w, "addMany")) {
		/* What user space can do through bpf(2) alone: read, add, write back. */
		for (__u32 i = 0; i < n; i++) {
			if (bpf_map_lookup_elem(fd, &keys[i], out))
				die("lookup", -errno);
			out->a += 1;
			if (bpf_map_update_elem(fd, &keys[i], out, BPF_EXIST))
				die("update", -errno);
		}
	} else if (!strcmp(w, "delete")) {
		for (__u32 i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, &keys[i]))
				die("delete", -errno);
	} else if (!strcmp(w, "percpuGet")) {
		for (__u32 i = 0; i < n; i++) {
			if (bpf_map_lookup_elem(fd, &keys[i], out))
				die("lookup", -errno);
			struct counters s = { 0 };
			for (int c = 0; c < cpus; c++) {
				s.a += out[c].a; s.b += out[c].b; s.c += out[c].c; s.d += out[c].d;
			}
			sink += s.a + s.b + s.c + s.d;
		}
	} else if (!strcmp(w, "setMany")) {
		__u32 count = n;
		int ret = bpf_map_update_batch(fd, keys, values, &count, NULL);
		if (ret)
			die("update_batch", ret);
	} else if (!strcmp(w, "entries")) {
		__u64 token_in = 0, token_out = 0, seen = 0;
		int started = 0;
		for (;;) {
			__u32 count = batch;
			int ret = bpf_map_lookup_batch(fd, started ? &token_in : NULL, &token_out, outk, out, &count, NULL);
			if (ret && ret != -ENOENT)
				die("lookup_batch", ret);
			for (__u32 i = 0; i < count; i++)
				sink += out[i].a;
			seen += count;
			if (ret == -ENOENT)
				break;
			token_in = token_out;
			started = 1;
		}
		if (seen != n)
			die("lookup_batch saw a different count", -EINVAL);
	} else {
		fprintf(stderr, "bench-c: unknown workload %s\n", w);
		return 2;
	}
	printf("%lld\n", now() - start);
	return 0;
}
