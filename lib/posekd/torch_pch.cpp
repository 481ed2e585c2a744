// Anchors the precompiled header in the posekd library even before it has other sources.
#include "posekd/torch_pch.h"
