// ESLint (flat config): typescript-eslint's type-aware recommended rules over every TypeScript file.
// Formatting is Prettier's job (.prettierrc.json), so no stylistic rules here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "test/components/render/golden/*/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The config files sit outside tsconfig.json's CommonJS program; lint them on their own.
        projectService: { allowDefaultProject: ["*.mjs", "*.mts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The codebase's convention (as with tsc's noUnusedParameters): a leading _ marks a name
      // kept on purpose, e.g. a handler's unused argument or a property split off with `...rest`.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.stringMatching) as `any`, so every
      // expected object that uses one would be reported; elsewhere the rule stays on.
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  { files: ["**/*.mjs", "**/*.mts"], ...tseslint.configs.disableTypeChecked },
);
