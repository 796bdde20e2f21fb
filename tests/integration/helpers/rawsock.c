/* Opens a raw ICMP socket, as ping does: exit 0 when the kernel allows it
 * (CAP_NET_RAW), 1 otherwise. */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0) {
		perror("rawsock: socket(AF_INET, SOCK_RAW)");
		return 1;
	}
	close(fd);
	return 0;
}
