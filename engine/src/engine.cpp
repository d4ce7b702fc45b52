#include "jobrunner/engine.h"

namespace jobrunner {

FinishClaimResult Engine::job_finish_and_claim(std::span<const JobFinishParams> finishes,
                                               std::span<const JobClaimParams> claims) {
  FinishClaimResult out;
  if (!finishes.empty()) out.finished = job_finish(finishes);
  for (const JobClaimParams& p : claims) out.claimed.push_back(job_claim(p));
  return out;
}

}  // namespace jobrunner
