# What a run of a real program came to, from its run directory: direct,
# relayed or failed. Sourced by the nebula and aioice checks (the grids
# judge cells by their matrix files' classes instead). The NATs are home-a (alice's, 198.18.1.1) and
# home-b (bob's, 198.18.1.2), as the planner assigns them.

# UDP packets in capture $1 whose source is $2.
udp_from() {
  tshark -r "$1" -Y "udp && ip.src == $2" 2>/dev/null | wc -l
}

# Nebula: ping over the overlay worked (nat-lab exit $2 == 0); direct when
# each peer received UDP straight from the other's NAT (each NAT let the
# other's packets in), relayed otherwise (only the lighthouse reached them).
nebula_path() {
  local dir=$1 rc=$2
  ((rc == 0)) || { echo failed; return; }
  local to_alice to_bob
  to_alice=$(udp_from "$dir/home-a-lan.alice.pcap" 198.18.1.2)
  to_bob=$(udp_from "$dir/home-b-lan.bob.pcap" 198.18.1.1)
  if ((to_alice > 0 && to_bob > 0)); then echo direct; else echo relayed; fi
}

# The aioice agent: the "path" of alice's "selected" line when the run passed.
ice_path() {
  local dir=$1 rc=$2
  ((rc == 0)) || { echo failed; return; }
  sed -n 's/.*"event": "selected".*"path": "\([a-z]*\)".*/\1/p' "$dir/alice.log" | head -1
}
