/*
 * profile.h - internal: with ZKML_PROFILE set in the environment, each phase's
 * wall time and the resident memory at its end go to stderr, one line a
 * phase ("STEP: NAME MS ms, RSS MIB MiB"), for bench/ and for finding a
 * step's serial stretches. Unset, a call costs one branch. Not thread-safe:
 * the calling thread of a step marks its phases.
 */
#ifndef ZKML_SNARK_PROFILE_H
#define ZKML_SNARK_PROFILE_H

/* Ends the phase begun by the previous call and names it; name NULL only
 * starts the clock (at a step's beginning). */
void profile_phase(const char *step, const char *name);

#endif
