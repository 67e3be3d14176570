// Which domain each device of a scalable-mode QEMU log is in. A scalable-mode context entry (VT-d
// spec 9.4) holds no domain-id: the PASID entry does, and QEMU does not log it. So the domains are
// learnt from what Linux does around them:
//   exact, Linux 6.1 with caching mode: a device-selective context-cache invalidation of the
//     device, then a domain-selective IOTLB invalidation of its new domain
//     (domain_context_mapping_one);
//   exact, Linux 6.12 with caching mode: the new context is flushed with DID 0 (which names no
//     DMA domain), and the domain comes later, device by device in the same order, as the
//     PASID-selective P_IOTLB invalidation of (DID, RID_PASID = 0) that pasid_flush_caches sends
//     after setting up the PASID entry (QEMU 10.0+ logs it);
//   inferred otherwise (no caching mode, or QEMU 7.2 with Linux 6.12): a device whose domain is
//     not known gets a domain of its own (0xfffe downwards) and invalidations of a domain-id no
//     device is known to use are votes: a page-selective one for the device that translated a
//     page in its range shortly before (a flush after unmap), and for a device that translates a
//     page in its range afterwards (a flush after map, caching mode); a domain-wide one, weakly,
//     for the device that translated last. A domain-id is decided for a device once it has 3
//     votes and more than twice as many as any other; the importer holds the events back until
//     then, and rewrites the invalidations of that domain-id to the device's own domain.
// Limits: one device per inferred domain (a second device of the same domain keeps its own and
// is never invalidated); an undecided domain-id at the end of the input (or after 65536 held
// events) goes to its best-voted device if it has one, else stays unknown and drops nothing.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vtdsim/spec/types.hpp"

namespace vtdsim::trace {

class ScalableDomains {
 public:
  // The attach sequences.
  void context_invalidated(SourceId source);                   // device-selective, function mask 0
  void context_reset();                                        // global context invalidation, reset, SRTP
  void domain_flushed(std::uint16_t did);                      // domain-selective IOTLB invalidation
  void pasid_flushed(std::uint16_t did, std::uint32_t pasid);  // PASID-selective P_IOTLB

  // The domain `source`'s translations use: learnt, decided, or its own (std::length_error past
  // 254 devices of their own).
  DomainId domain_of(SourceId source);
  void translated(SourceId source, std::uint64_t page, std::uint64_t line);

  // The domain an invalidation of `did` over pages [first, first + pages) (pages = 0: the whole
  // domain) is for. `undecided`: the domain-id is not known yet; `domain` is then `did`, and a
  // later decision (take_decisions) says what it is.
  struct Target {
    DomainId domain;
    bool undecided = false;
  };
  Target invalidated(std::uint16_t did, std::uint64_t first_page, std::uint64_t pages, std::uint64_t line);

  // Decisions since the last call: (domain-id, the device's own domain it stands for).
  std::vector<std::pair<std::uint16_t, std::uint16_t>> take_decisions();
  // Decides every open domain-id now (best votes, or unknown).
  void decide_all(std::uint64_t line);
  bool has_open() const { return !open_.empty(); }

  std::uint64_t from_attach() const { return from_attach_; }
  const std::vector<std::string>& inferred() const { return inferred_; }  // "00:02.0 -> 0x4 (line N)"
  std::uint64_t unknown_invalidations() const { return unknown_; }

 private:
  struct Open {                                                  // a domain-id not decided yet
    std::unordered_map<std::uint16_t, std::uint32_t> votes;      // source -> votes
    std::deque<std::pair<std::uint64_t, std::uint64_t>> ranges;  // recent [first, end) pages
    std::uint64_t held = 0;                                      // invalidations of it waiting for the decision
  };
  void learn(SourceId source, std::uint16_t did);
  bool known_did(std::uint16_t did) const;
  void vote(std::uint16_t did, Open& open, std::uint16_t source, std::uint32_t weight, std::uint64_t line);
  void decide(std::uint16_t did, std::uint16_t source, std::uint64_t line);
  bool candidate(std::uint16_t source) const;

  std::vector<SourceId> attach_pending_;                     // cc invalidations since the last domain flush
  std::deque<SourceId> awaiting_pasid_;                      // flushed with DID 0: the PASID set-up names it
  std::unordered_map<std::uint16_t, std::uint16_t> learnt_;  // source -> DID
  std::unordered_map<std::uint16_t, std::uint16_t> own_;     // source -> own domain
  std::unordered_map<std::uint16_t, std::uint16_t> alias_;   // decided DID -> own domain
  std::map<std::uint16_t, Open> open_;                       // undecided DIDs, in order (decide_all is deterministic)
  // Recent translations of undecided own-domain sources: page -> (source, sequence number).
  std::unordered_map<std::uint64_t, std::pair<std::uint16_t, std::uint64_t>> recent_;
  std::uint64_t sequence_ = 0;
  bool have_last_ = false;
  std::uint16_t last_ = 0;  // the last undecided own-domain source to translate
  std::uint16_t next_own_ = 0xfffe;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> decisions_;
  std::uint64_t from_attach_ = 0, unknown_ = 0;
  std::vector<std::string> inferred_;
};

}  // namespace vtdsim::trace
