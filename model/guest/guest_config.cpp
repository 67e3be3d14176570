#include "vtdsim/guest/guest_config.hpp"

namespace vtdsim::guest {

const char* to_string(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kNone: return "none";
    case WorkloadKind::kNetTxStream: return "net_tx_stream";
    case WorkloadKind::kNetRxStream: return "net_rx_stream";
    case WorkloadKind::kNetRequestResponse: return "net_rr";
    case WorkloadKind::kBlkReadSeq: return "blk_read_seq";
    case WorkloadKind::kBlkReadRandom: return "blk_read_random";
    case WorkloadKind::kBlkWriteSeq: return "blk_write_seq";
    case WorkloadKind::kBlkWriteRandom: return "blk_write_random";
  }
  return "?";
}

const char* to_string(TranslationStageRequest r) {
  switch (r) {
    case TranslationStageRequest::kAuto: return "auto";
    case TranslationStageRequest::kFirst: return "first";
    case TranslationStageRequest::kSecond: return "second";
  }
  return "?";
}

const char* to_string(ScalableModeRequest r) {
  switch (r) {
    case ScalableModeRequest::kAuto: return "auto";
    case ScalableModeRequest::kOn: return "on";
    case ScalableModeRequest::kOff: return "off";
  }
  return "?";
}

}  // namespace vtdsim::guest
