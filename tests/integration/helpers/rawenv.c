/* rawenv: execve a program with exactly the environment entries given,
 * duplicates and entries without '=' included (env(1) and Python's
 * os.execve would merge or reject them).
 *
 *   rawenv ENTRY... -- PROGRAM [ARG]...
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sep = 1;
	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (sep + 1 >= argc) {
		fprintf(stderr, "usage: rawenv ENTRY... -- PROGRAM [ARG]...\n");
		return 98;
	}
	char *envp[256];
	int n = 0;
	for (int i = 1; i < sep && n < 255; i++)
		envp[n++] = argv[i];
	envp[n] = NULL;
	execve(argv[sep + 1], argv + sep + 1, envp);
	perror("rawenv: execve");
	return 99;
}
