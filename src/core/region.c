/*
 * AWS region names, as RDS endpoints and RDS CA certificates carry them:
 * an endpoint is <name>.<id>.<region>.rds.amazonaws.com (".com.cn" in
 * China), a CA is "Amazon RDS <region> Root CA ...".  Used by the policy
 * ({region} in a rule's bundle) and by `pgverify bundle --split`.
 */
#include "core.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Longer than any region AWS has named (us-gov-west-1, ap-southeast-4). */
#define REGION_MAX (PGV_REGION_SIZE - 1)

int pgv_aws_region(const char *s, size_t n)
{
	size_t i = 2, words = 0;

	if (n < 6 || n > REGION_MAX || !islower((unsigned char)s[0]) ||
	    !islower((unsigned char)s[1]))
		return 0;
	/* Then one or more "-word", then "-digits", then the end. */
	while (i < n && s[i] == '-' && i + 1 < n &&
	       islower((unsigned char)s[i + 1])) {
		for (i++; i < n && islower((unsigned char)s[i]); i++)
			;
		words++;
	}
	if (words == 0 || i + 1 >= n || s[i] != '-')
		return 0;
	for (i++; i < n && isdigit((unsigned char)s[i]); i++)
		;
	return i == n && isdigit((unsigned char)s[n - 1]);
}

int pgv_rds_region(const char *host, char *out, size_t outlen)
{
	static const char *const suffixes[] = {".rds.amazonaws.com",
					       ".rds.amazonaws.com.cn"};
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	/* A DNS name's characters only: a quote or a space is no endpoint. */
	if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.-_") < n)
		return -1;
	for (size_t k = 0; k < sizeof(suffixes) / sizeof(*suffixes); k++) {
		size_t sl = strlen(suffixes[k]);
		if (n <= sl || strncasecmp(host + n - sl, suffixes[k], sl) != 0)
			continue;
		size_t end = n - sl, start = end;
		while (start > 0 && host[start - 1] != '.')
			start--;
		/* The endpoint's own labels must come before the region. */
		if (start < 2 || end - start >= outlen)
			return -1;
		for (size_t i = start; i < end; i++)
			out[i - start] = (char)tolower((unsigned char)host[i]);
		out[end - start] = '\0';
		return pgv_aws_region(out, end - start) ? 0 : -1;
	}
	return -1;
}
