/** test-support/reference/ of this repository, ending in '/'. */
export declare const REPOSITORY_REFERENCE_DIR: string;
/** The reference folder in use (BIGFACE_REFERENCE_DIR, else the repository's), absolute, ending in '/'. */
export declare const REFERENCE_DIR: string;
/** Absolute path of a reference file; an error naming the file and the fix when it is not there. */
export declare function referenceFile(name: string): string;
