/** Flags shared by the commands that apply commits (`reconcile`, `watch`). */
import { Option, type Command } from 'commander';
import { BorealisError } from '../errors.js';
import type { SignaturePolicy } from '../source/signatures.js';

export interface SignatureFlags {
  requireSignedCommits?: boolean;
  allowedSigners?: string;
  gpgHome?: string;
}

export function signatureOptions(command: Command): Command {
  return command
    .option(
      '--require-signed-commits',
      'apply only commits whose signature is trusted; others are rejected and recorded',
    )
    .option('--allowed-signers <FILE>', "SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format)")
    .option('--gpg-home <DIR>', 'GNUPGHOME holding the trusted GPG public keys');
}

export function signaturePolicy(flags: SignatureFlags): SignaturePolicy | undefined {
  if (!flags.requireSignedCommits) return undefined;
  if (!flags.allowedSigners && !flags.gpgHome) {
    throw new BorealisError(
      'NO_TRUSTED_KEYS',
      '--require-signed-commits needs --allowed-signers FILE or --gpg-home DIR',
      {
        hint: 'list the keys allowed to sign deployable commits',
      },
    );
  }
  const policy: SignaturePolicy = {};
  if (flags.allowedSigners) policy.allowedSignersFile = flags.allowedSigners;
  if (flags.gpgHome) policy.gpgHome = flags.gpgHome;
  return policy;
}

export function notesOption(): Option {
  return new Option('--notes', 'also write each outcome as a git note under refs/notes/borealis');
}
