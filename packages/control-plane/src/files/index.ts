export { createFileService, type FileService, type FileTarget } from './file-service.js';
