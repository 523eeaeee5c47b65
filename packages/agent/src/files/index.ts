export { createFileManager, type FileConnection, type FileManager } from './file-manager.js';
