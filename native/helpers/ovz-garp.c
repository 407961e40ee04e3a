/*
 * ovz-garp IFACE IPV4...: send gratuitous ARP requests (sender = target = IPV4, from IFACE's MAC) so the
 * hosts of a LAN update the MAC they hold for a container address that just moved to this node (venet on
 * an uplink: this node now answers ARP for it by proxy). The address is not local to the host, which is
 * why arping -U cannot do this (it binds to the source address). One request per address; the engine
 * sends a second round a little later.
 * Build: gcc -O2 -Wall -Werror -o /usr/local/lib/ovz/ovz-garp native/helpers/ovz-garp.c (install-criu.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ovz-garp IFACE IPV4...\n");
    return 2;
  }
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
  if (fd < 0) { perror("ovz-garp: socket"); return 1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (strlen(argv[1]) >= IFNAMSIZ) { fprintf(stderr, "ovz-garp: interface name too long\n"); return 2; }
  strcpy(ifr.ifr_name, argv[1]);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) { fprintf(stderr, "ovz-garp: %s: %s\n", argv[1], strerror(errno)); return 1; }
  int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { fprintf(stderr, "ovz-garp: %s: %s\n", argv[1], strerror(errno)); return 1; }
  unsigned char mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);

  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  memset(to.sll_addr, 0xff, 6);

  {
    for (int i = 2; i < argc; i++) {
      struct in_addr ip;
      if (inet_pton(AF_INET, argv[i], &ip) != 1) { fprintf(stderr, "ovz-garp: not an IPv4 address: %s\n", argv[i]); return 2; }
      unsigned char frame[42];
      struct ether_header *eh = (struct ether_header *)frame;
      memset(eh->ether_dhost, 0xff, 6);
      memcpy(eh->ether_shost, mac, 6);
      eh->ether_type = htons(ETHERTYPE_ARP);
      struct ether_arp *ea = (struct ether_arp *)(frame + sizeof *eh);
      ea->arp_hrd = htons(ARPHRD_ETHER);
      ea->arp_pro = htons(ETHERTYPE_IP);
      ea->arp_hln = 6;
      ea->arp_pln = 4;
      ea->arp_op = htons(ARPOP_REQUEST);
      memcpy(ea->arp_sha, mac, 6);
      memcpy(ea->arp_spa, &ip, 4);
      memset(ea->arp_tha, 0, 6);
      memcpy(ea->arp_tpa, &ip, 4);
      to.sll_protocol = htons(ETH_P_ARP);
      if (sendto(fd, frame, sizeof frame, 0, (struct sockaddr *)&to, sizeof to) < 0) { perror("ovz-garp: sendto"); return 1; }
    }
  }
  close(fd);
  return 0;
}
