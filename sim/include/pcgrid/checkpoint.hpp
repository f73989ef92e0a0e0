// Checkpoints of trained fixed-point weights (docs/checkpoint-format.md). A checkpoint stores weights per
// vertex, not per slice, so it can be loaded into any mapping of the same model: train with the functional
// engine, continue at cycle level, on another grid, and compare.
#pragma once

#include "pcgrid/engine.hpp"

#include <string>

namespace pcgrid {

// JSON text of the engine's current weights and biases (int16, Q3.13).
std::string checkpoint_json(const FxEngine& e);
// Loads weights into the engine. Throws SimError "FILE: key: what" when the file is malformed or does not
// match the engine's model (name, vertices, sizes) — nothing is changed then.
void load_checkpoint(FxEngine& e, const std::string& path);
// The same from JSON text; `origin` names it in errors.
void load_checkpoint_text(FxEngine& e, const std::string& text, const std::string& origin);

}  // namespace pcgrid
