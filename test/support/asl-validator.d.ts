declare module 'asl-validator' {
  /** asl-validator 4: validates an Amazon States Language definition against its JSON schemas, paths and ARNs. */
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: { message: string }[]; errorsText: (separator?: string) => string };
}
