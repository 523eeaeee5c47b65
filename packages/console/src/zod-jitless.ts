// Imported first by main.tsx, before anything that defines zod schemas: zod probes `new Function`
// when an object schema is built, to compile faster parsers. Under the console's CSP (no eval)
// the probe fails harmlessly but is reported as a violation, so the console parses without it.
import { config } from 'zod';

config({ jitless: true });
