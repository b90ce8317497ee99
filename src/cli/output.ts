import { Option } from 'commander';

export type Output = 'text' | 'json' | 'markdown';

export function outputOption(formats: Output[]): Option {
  return new Option('-o, --output <FORMAT>', 'output format').choices(formats).default('text');
}
