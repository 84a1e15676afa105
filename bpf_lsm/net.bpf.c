// net.bpf.c — network: socket_connect (family, address, port).
#include "auditq.h"
#include <bpf/bpf_endian.h>

SEC("lsm/socket_connect")
int BPF_PROG(on_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    __u16 family = BPF_CORE_READ(address, sa_family);
    AUDITQ_NEW_LSM(struct auditq_connect_event, e, AUDITQ_EV_SOCKET_CONNECT, ret);
    e->family = family;
    e->port = 0;
    e->_pad = 0;
    __builtin_memset(e->addr, 0, sizeof(e->addr));
    __be16 port = 0;
    if (family == AF_INET && addrlen >= 8) {
        /* struct sockaddr_in: family(2) port(2) addr(4) — UAPI, fixed offsets */
        bpf_probe_read_kernel(&port, 2, (char *)address + 2);
        bpf_probe_read_kernel(e->addr, 4, (char *)address + 4);
    } else if (family == AF_INET6 && addrlen >= 24) {
        /* struct sockaddr_in6: family(2) port(2) flowinfo(4) addr(16) */
        bpf_probe_read_kernel(&port, 2, (char *)address + 2);
        bpf_probe_read_kernel(e->addr, 16, (char *)address + 8);
    }
    e->port = bpf_ntohs(port);
    auditq_submit(e);
    return ret;
}
