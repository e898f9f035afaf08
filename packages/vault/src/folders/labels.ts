/** Domain-separation labels of shared folders (docs/PROTOCOL.md §12); each use gets its own. */
export const FOLDER_LABELS = {
  sharingEnc: 'tessera/v1/sharing-enc',
  sharingSign: 'tessera/v1/sharing-sign',
  sharingSeal: 'tessera/v1/sharing-seal',
  sharingRotation: 'tessera/v1/sharing-rotation',
  folderWrap: 'tessera/v1/folder-wrap',
  folderKeyCommit: 'tessera/v1/folder-key-commit',
  folderEntry: 'tessera/v1/folder-entry',
  folderLink: 'tessera/v1/folder-link',
  safetyNumber: 'tessera/v1/safety-number',
  folderName: 'tessera/v1/folder-name',
  folderActivity: 'tessera/v1/folder-activity',
} as const;
