#include "vtdsim/trace/scalable_domains.hpp"

#include <cstdio>
#include <stdexcept>

namespace vtdsim::trace {

namespace {

constexpr std::uint32_t kVotesToDecide = 3;
constexpr std::uint64_t kRecentTranslations = 256;  // how far back a flush after unmap looks
constexpr std::size_t kOpenRanges = 16;             // how many flushed ranges a later use is matched against
constexpr std::uint64_t kMaxPagesLooked = 512;

std::string bdf(std::uint16_t sid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", sid >> 8, (sid >> 3) & 0x1f, sid & 7);
  return buf;
}

}  // namespace

void ScalableDomains::context_invalidated(SourceId source) { attach_pending_.push_back(source); }

void ScalableDomains::context_reset() { attach_pending_.clear(); }

void ScalableDomains::domain_flushed(std::uint16_t did) {
  if (attach_pending_.empty()) return;
  if (did != 0) {
    for (SourceId s : attach_pending_) learn(s, did);
  } else {
    // DID 0 names no DMA domain (with caching mode, hardware tags not-present entries with it):
    // Linux 6.12 flushed a new context; the PASID-entry set-up names the domain later.
    for (SourceId s : attach_pending_) awaiting_pasid_.push_back(s);
  }
  attach_pending_.clear();
}

void ScalableDomains::pasid_flushed(std::uint16_t did, std::uint32_t pasid) {
  if (pasid != 0 || awaiting_pasid_.empty()) return;
  const SourceId source = awaiting_pasid_.front();
  awaiting_pasid_.pop_front();
  learn(source, did);
}

void ScalableDomains::learn(SourceId source, std::uint16_t did) {
  auto [it, fresh] = learnt_.try_emplace(source.value, did);
  if (fresh || it->second != did) ++from_attach_;
  it->second = did;
  for (auto a = awaiting_pasid_.begin(); a != awaiting_pasid_.end();)
    a = *a == source ? awaiting_pasid_.erase(a) : std::next(a);
  if (open_.erase(did)) decisions_.emplace_back(did, did);  // held invalidations keep their DID
  for (auto& [d, open] : open_) open.votes.erase(source.value);
}

DomainId ScalableDomains::domain_of(SourceId source) {
  if (auto l = learnt_.find(source.value); l != learnt_.end()) return DomainId(l->second);
  if (auto o = own_.find(source.value); o != own_.end()) return DomainId(o->second);
  if (next_own_ < 0xff00) throw std::length_error("scalable mode: more than 254 devices of unknown domain");
  own_[source.value] = next_own_;
  return DomainId(next_own_--);
}

bool ScalableDomains::candidate(std::uint16_t source) const {
  return own_.count(source) != 0 && learnt_.count(source) == 0;
}

bool ScalableDomains::known_did(std::uint16_t did) const {
  if (did == 0) return true;  // no DMA domain: see domain_flushed
  for (const auto& [source, learnt] : learnt_)
    if (learnt == did) return true;
  return false;
}

void ScalableDomains::translated(SourceId source, std::uint64_t page, std::uint64_t line) {
  if (!candidate(source.value)) return;
  recent_[page] = {source.value, ++sequence_};
  last_ = source.value;
  have_last_ = true;
  // A flush after map (caching mode): the device now uses a page of an earlier flushed range.
  std::vector<std::uint16_t> matching;
  for (const auto& [did, open] : open_)
    for (const auto& [first, end] : open.ranges)
      if (page >= first && page < end) {
        matching.push_back(did);
        break;
      }
  for (std::uint16_t did : matching) {
    auto it = open_.find(did);
    if (it != open_.end()) vote(did, it->second, source.value, 1, line);
  }
}

ScalableDomains::Target ScalableDomains::invalidated(std::uint16_t did, std::uint64_t first_page, std::uint64_t pages,
                                                     std::uint64_t line) {
  if (auto a = alias_.find(did); a != alias_.end()) return {DomainId(a->second), false};
  if (known_did(did)) return {DomainId(did), false};
  bool any_candidate = false;
  for (const auto& [source, own] : own_) any_candidate = any_candidate || candidate(source);
  // No device of unknown domain has translated: nothing cached can be of this DID.
  if (!any_candidate && open_.count(did) == 0) return {DomainId(did), false};
  Open& open = open_[did];
  ++open.held;
  if (pages > 0) {
    open.ranges.emplace_back(first_page, first_page + pages);
    if (open.ranges.size() > kOpenRanges) open.ranges.pop_front();
    // A flush after unmap: the device that used a page of the range shortly before.
    std::vector<std::uint16_t> users;
    const std::uint64_t n = pages < kMaxPagesLooked ? pages : kMaxPagesLooked;
    for (std::uint64_t p = first_page; p < first_page + n; ++p) {
      auto r = recent_.find(p);
      if (r == recent_.end() || sequence_ - r->second.second > kRecentTranslations) continue;
      bool seen = false;
      for (std::uint16_t u : users) seen = seen || u == r->second.first;
      if (!seen && candidate(r->second.first)) users.push_back(r->second.first);
    }
    for (std::uint16_t u : users) {
      auto it = open_.find(did);
      if (it != open_.end()) vote(did, it->second, u, 2, line);
    }
  } else if (have_last_ && candidate(last_)) {
    vote(did, open, last_, 1, line);
  }
  if (auto a = alias_.find(did); a != alias_.end()) return {DomainId(a->second), false};
  return {DomainId(did), true};
}

void ScalableDomains::vote(std::uint16_t did, Open& open, std::uint16_t source, std::uint32_t weight,
                           std::uint64_t line) {
  open.votes[source] += weight;
  std::uint16_t best = 0;
  std::uint32_t first = 0, second = 0;
  for (const auto& [s, v] : open.votes) {
    if (v > first)
      second = first, first = v, best = s;
    else if (v > second)
      second = v;
  }
  if (first >= kVotesToDecide && first > 2 * second) decide(did, best, line);
}

void ScalableDomains::decide(std::uint16_t did, std::uint16_t source, std::uint64_t line) {
  const std::uint16_t own = own_.at(source);
  alias_[did] = own;
  learnt_[source] = own;  // settled: no longer a candidate
  char note[96];
  std::snprintf(note, sizeof note, "%s -> 0x%x (line %llu)", bdf(source).c_str(), did,
                static_cast<unsigned long long>(line));
  inferred_.emplace_back(note);
  decisions_.emplace_back(did, own);
  open_.erase(did);
  for (auto& [d, open] : open_) open.votes.erase(source);
  for (auto it = recent_.begin(); it != recent_.end();)
    it = it->second.first == source ? recent_.erase(it) : std::next(it);
  if (have_last_ && last_ == source) have_last_ = false;
}

void ScalableDomains::decide_all(std::uint64_t line) {
  while (!open_.empty()) {
    auto it = open_.begin();
    const std::uint16_t did = it->first;
    std::uint16_t best = 0;
    std::uint32_t first = 0, second = 0;
    for (const auto& [s, v] : it->second.votes) {
      if (!candidate(s)) continue;
      if (v > first)
        second = first, first = v, best = s;
      else if (v > second)
        second = v;
    }
    if (first > second) {
      decide(did, best, line);
    } else {
      unknown_ += it->second.held;
      decisions_.emplace_back(did, did);
      open_.erase(it);
    }
  }
}

std::vector<std::pair<std::uint16_t, std::uint16_t>> ScalableDomains::take_decisions() {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
  out.swap(decisions_);
  return out;
}

}  // namespace vtdsim::trace
