/** The service's version: SERVICE_VERSION (set in the image from the build), else the package's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function packageVersion(): string {
  try {
    // From the sources (service/http/) the package file is two folders up.
    return (
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '0.0.0';
  }
}

export const SERVICE_VERSION = process.env.SERVICE_VERSION ?? packageVersion();
