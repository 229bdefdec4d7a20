#include "simulator/router/tx_batch.h"

namespace natlab::nat {

void TxBatch::add(Frame frame) {
    entries_.push_back({frame.bytes, frame.meta});  // the vector's buffer survives the move below
    owned_.push_back(std::move(frame.bytes));
}

void TxBatch::clear() {
    entries_.clear();
    owned_.clear();
}

}  // namespace natlab::nat
