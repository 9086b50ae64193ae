// Preloaded (node --import) into a command the scale benchmark times: at exit, writes the
// process's peak resident set size in kilobytes (worker threads included) to the file
// named by MLOPS_PEAK_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.MLOPS_PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
